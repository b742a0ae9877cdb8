/** What long client operations tell their caller: warnings by kind, per-item errors, progress. */
export interface Reporter {
  /** A feature that cannot be kept; the renderer prints one line per kind. */
  warn(kind: string, message: string): void;
  /** One object could not be read or restored; the operation goes on. */
  error(message: string): void;
  progress(progress: Progress): void;
}

export interface Progress {
  files: number;
  bytes: number;
  /** Known totals, when there are any (for an ETA). */
  totalBytes?: number;
  totalFiles?: number;
}

/** A reporter that keeps everything, for tests and for callers that render at the end. */
export class CollectingReporter implements Reporter {
  readonly warnings = new Map<string, string>();
  readonly errors: string[] = [];
  last: Progress = { files: 0, bytes: 0 };

  warn(kind: string, message: string): void {
    if (!this.warnings.has(kind)) this.warnings.set(kind, message);
  }

  error(message: string): void {
    this.errors.push(message);
  }

  progress(progress: Progress): void {
    this.last = progress;
  }
}
