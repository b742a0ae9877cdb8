/** What a command gets from the composition root (cli/main.ts): the process's edges, injected. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  cwd: string;
  now: () => Date;
  nowMs: () => number;
  randomId: () => Uint8Array;
  isRoot: boolean;
  /** Threads worth using for parallel work (the machine's cores). */
  threads: number;
  /** Sets the exit code (the highest one set wins). */
  exit: (code: number) => void;
}
