import { spawnSync } from "node:child_process";
import { ReelError } from "../errors/index.js";

/** Asks on the terminal (/dev/tty, without echo); null when there is no terminal. */
function ask(prompt: string): string | null {
  const script = `stty -echo < /dev/tty 2>/dev/null || exit 9; printf '%s' "$0" > /dev/tty; IFS= read -r p < /dev/tty; status=$?; stty echo < /dev/tty; printf '\\n' > /dev/tty; [ $status -eq 0 ] && printf '%s' "$p"`;
  const result = spawnSync("sh", ["-c", script, prompt], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  if (result.status !== 0) return null;
  return result.stdout;
}

/** The passphrase from REEL_PASSPHRASE, or asked on the terminal (twice when `confirm`). */
export function readPassphrase(env: NodeJS.ProcessEnv, options: { confirm: boolean }): string {
  const fromEnv = env["REEL_PASSPHRASE"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const first = ask("Passphrase: ");
  if (first === null) throw new ReelError("CLI_PASSPHRASE_MISSING", "Cannot get a passphrase: set REEL_PASSPHRASE or run on a terminal");
  if (first === "") throw new ReelError("CLI_PASSPHRASE_MISSING", "Cannot use an empty passphrase");
  if (options.confirm && ask("Passphrase again: ") !== first) throw new ReelError("CLI_PASSPHRASE_MISSING", "Cannot encrypt: the passphrases differ");
  return first;
}
