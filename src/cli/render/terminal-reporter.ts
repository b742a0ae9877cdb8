import cliProgress from "cli-progress";
import type { Progress, Reporter } from "../../client/index.js";

function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/**
 * Renders a long operation for people: one warning line per kind, one line per error, and a
 * progress bar (bytes, files, rate, ETA) on stderr when it is a terminal, nothing otherwise.
 */
export class TerminalReporter implements Reporter {
  readonly #stderr: NodeJS.WriteStream;
  readonly #warned = new Set<string>();
  readonly #bar: cliProgress.SingleBar | null;
  readonly #startMs: number;
  readonly #nowMs: () => number;
  #isStarted = false;
  errors = 0;

  constructor(stderr: NodeJS.WriteStream, nowMs: () => number, options: { quiet?: boolean } = {}) {
    this.#stderr = stderr;
    this.#nowMs = nowMs;
    this.#startMs = nowMs();
    this.#bar = stderr.isTTY && options.quiet !== true
      ? new cliProgress.SingleBar({
          stream: stderr,
          hideCursor: true,
          clearOnComplete: true,
          format: "{bar} {percentage}% | {done} | {files} files | {rate}/s | ETA {eta_formatted}",
          formatValue: (value, _options, type) => (type === "value" || type === "total" ? formatBytes(value) : String(value)),
        }, cliProgress.Presets.shades_classic)
      : null;
  }

  #print(line: string): void {
    if (this.#bar !== null && this.#isStarted) {
      this.#bar.stop();
      this.#isStarted = false;
    }
    this.#stderr.write(line + "\n");
  }

  warn(kind: string, message: string): void {
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    this.#print(`reel: warning: ${message}`);
  }

  error(message: string): void {
    this.errors++;
    this.#print(`reel: ${message}`);
  }

  progress(progress: Progress): void {
    if (this.#bar === null) return;
    const seconds = Math.max(0.001, (this.#nowMs() - this.#startMs) / 1000);
    const payload = { files: progress.files, done: formatBytes(progress.bytes), rate: formatBytes(progress.bytes / seconds) };
    const total = progress.totalBytes ?? Math.max(progress.bytes, 1);
    if (!this.#isStarted) {
      this.#bar.start(total, progress.bytes, payload);
      this.#isStarted = true;
    } else {
      this.#bar.setTotal(total);
      this.#bar.update(progress.bytes, payload);
    }
  }

  stop(): void {
    if (this.#bar !== null && this.#isStarted) this.#bar.stop();
    this.#isStarted = false;
  }
}
