import { execFile } from "node:child_process";
import { serviceError } from "./service-errors.js";

/** What a command run by name on a client agent gave: its exit code and the end of its output. */
export interface CommandResult {
  exitCode: number;
  output: string;
}

const OUTPUT_TAIL = 4096;

/**
 * Runs a command of the client's allow-list by name (a calendar command event). Never a shell,
 * never a command line from the server: the server names the command, the client decides what
 * that name runs.
 */
export function runAllowedCommand(commands: Readonly<Record<string, string>>, name: string, client: string): Promise<CommandResult> {
  const line = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (line === undefined) {
    return Promise.reject(serviceError("TRANSFER_COMMAND_NOT_ALLOWED", `Command "${name}" is not in the allow-list of client "${client}" (reel client --command ${name}=PROGRAM)`, { name }));
  }
  const [program, ...args] = line.trim().split(/\s+/);
  return new Promise((resolve) => {
    execFile(program!, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.slice(-OUTPUT_TAIL);
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 127;
      resolve({ exitCode: code, output: error !== null && typeof error.code !== "number" ? `${output}${error.message}` : output });
    });
  });
}
