import { closeSync, fstatSync, mkdirSync, openSync, realpathSync, unlinkSync } from "node:fs";
import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import {
  archiveProblems,
  blocksFromStream,
  BufferRecycler,
  createArchive,
  DEFAULT_BLOCK_SIZE,
  displayPath,
  extractArchive,
  FileBlockOutput,
  MediumFile,
  nodeCodecs,
  readIndex,
  readSequentially,
  StreamBlockOutput,
} from "../../client/index.js";
import { type Entry, entryTypeNames, isValidBlockSize } from "../../format/index.js";
import { ReelError } from "../../errors/index.js";
import type { CliContext } from "../context.js";
import { readPassphrase } from "../passphrase.js";
import { TerminalReporter } from "../render/terminal-reporter.js";

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** The `reel archive` verbs: a tar-like archiver on reel's open media format. */
export function archiveCommand(ctx: CliContext): Command {
  const archive = new Command("archive").description("create, extract, list and verify archive files (a medium holding one stream)");

  archive
    .command("create")
    .description("archive PATHs (stored as given, relative to -C, like tar)")
    .requiredOption("-f, --file <file>", "archive to write, - for standard output")
    .option("-C, --directory <dir>", "change to DIR before reading PATHs", ".")
    .addOption(new Option("--compress <algorithm>", "compression of chunks").choices(["zstd", "none"]).default("zstd"))
    .option("--level <n>", "zstd level (1 fast … 19 small)", integer(1, 19), 3)
    .option("--encrypt", "encrypt with a passphrase (REEL_PASSPHRASE or asked)", false)
    .option("--exclude <pattern>", "leave out matching names (glob; repeatable)", collect, [])
    .option("--block-size <bytes>", "block size of the medium", integer(4096, 16 * 1024 * 1024), DEFAULT_BLOCK_SIZE)
    .argument("<path...>", "files and directories to archive")
    .action(async (paths: string[], o: { file: string; directory: string; compress: "zstd" | "none"; level: number; encrypt: boolean; exclude: string[]; blockSize: number }) => {
      if (!isValidBlockSize(o.blockSize)) throw new ReelError("CLI_BAD_ARGUMENT", `Cannot use block size ${o.blockSize}: it must be a multiple of 4096`);
      const passphrase = o.encrypt ? readPassphrase(ctx.env, { confirm: true }) : null;
      const toStdout = o.file === "-";
      const target = resolve(ctx.cwd, o.file);
      let fd = -1;
      if (!toStdout) {
        try {
          fd = openSync(target, "w", 0o644);
        } catch (error) {
          throw new ReelError("CLI_CANNOT_WRITE", `Cannot create archive "${o.file}": ${(error as Error).message}`);
        }
      }
      const blocks = new BufferRecycler(o.blockSize);
      const output = toStdout ? new StreamBlockOutput(ctx.stdout, "standard output") : new FileBlockOutput(fd, `archive "${o.file}"`, (memory) => blocks.give(memory));
      const reporter = new TerminalReporter(ctx.stderr, ctx.nowMs);
      try {
        const summary = await createArchive({
          root: resolve(ctx.cwd, o.directory), paths, excludes: o.exclude, compression: o.compress, level: o.level, passphrase,
          blockSize: o.blockSize, output, reporter, now: ctx.now(), randomId: ctx.randomId, threads: ctx.threads,
          estimateTotals: ctx.stderr.isTTY === true, blockRecycler: blocks,
          ...(fd >= 0 ? { skip: (({ dev, ino }) => ({ dev, ino }))(fstatSync(fd)) } : {}),
        });
        reporter.stop();
        if (summary.errors > 0) {
          ctx.stderr.write(`reel: ${summary.errors} file(s) could not be read completely; the archive holds the rest\n`);
          ctx.exit(1);
        }
      } catch (error) {
        reporter.stop();
        // A half-written archive is not an archive: remove it rather than leave it looking whole.
        if (!toStdout) {
          try { closeSync(fd); } catch { /* closed already */ }
          try { unlinkSync(target); } catch { /* gone already */ }
        }
        throw error;
      }
    });

  archive
    .command("extract")
    .description("extract the whole archive, or the named PATHs (a directory selects its subtree)")
    .requiredOption("-f, --file <file>", "archive to read, - for standard input")
    .option("-C, --directory <dir>", "extract under DIR", ".")
    .option("--numeric-owner", "restore owners by number, not by name", false)
    .argument("[path...]", "members to extract")
    .action(async (paths: string[], o: { file: string; directory: string; numericOwner: boolean }) => {
      const codecs = nodeCodecs();
      const destPath = resolve(ctx.cwd, o.directory);
      mkdirSync(destPath, { recursive: true });
      const dest = Buffer.from(realpathSync(destPath));
      const reporter = new TerminalReporter(ctx.stderr, ctx.nowMs);
      const medium = o.file === "-" ? null : MediumFile.open(resolve(ctx.cwd, o.file), codecs);
      try {
        const summary = await extractArchive({
          source: medium ?? blocksFromStream(ctx.stdin), dest, paths, numericOwner: o.numericOwner, isRoot: ctx.isRoot,
          passphrase: () => readPassphrase(ctx.env, { confirm: false }), reporter, codecs, writerThreads: ctx.threads,
        });
        reporter.stop();
        for (const p of summary.notFound) {
          ctx.stderr.write(`reel: "${p}": not found in archive\n`);
          ctx.exit(1);
        }
        for (const p of summary.problems) ctx.stderr.write(`reel: ${p}\n`);
        if (summary.problems.length > 0 || summary.counts.damaged > 0 || summary.counts.failed > 0 || summary.lostEntries > 0) {
          ctx.stderr.write(`reel: extraction incomplete: ${summary.counts.restored} restored, ${summary.counts.damaged} damaged, ${summary.lostEntries} lost, ${summary.counts.failed} failed\n`);
          ctx.exit(1);
        }
      } finally {
        reporter.stop();
        medium?.close();
      }
    });

  archive
    .command("list")
    .description("list the entries of an archive")
    .requiredOption("-f, --file <file>", "archive to read, - for standard input")
    .option("--json", "print a JSON array of entries", false)
    .option("-v, --verbose", "long listing (mode, owner, size, time)", false)
    .action(async (o: { file: string; json: boolean; verbose: boolean }) => {
      const codecs = nodeCodecs();
      const passphrase = (): string => readPassphrase(ctx.env, { confirm: false });
      const entries: Entry[] = [];
      const medium = o.file === "-" ? null : MediumFile.open(resolve(ctx.cwd, o.file), codecs);
      try {
        const index = medium === null ? null : readIndex(medium, codecs, passphrase);
        if (index !== null) {
          for (const row of index.rows) entries.push(row.entry);
        } else {
          const result = await readSequentially(medium ?? blocksFromStream(ctx.stdin), { codecs, passphrase, handlers: { entry: (e) => void entries.push(e) } });
          for (const p of archiveProblems(result)) {
            ctx.stderr.write(`reel: ${p}\n`);
            ctx.exit(1);
          }
        }
      } finally {
        medium?.close();
      }
      ctx.stdout.write(o.json ? listJson(entries) : listText(entries, o.verbose));
    });

  archive
    .command("verify")
    .description("read the whole archive and check every checksum; exit 0 only if it is intact")
    .requiredOption("-f, --file <file>", "archive to read, - for standard input")
    .action(async (o: { file: string }) => {
      const codecs = nodeCodecs();
      const hasPassphrase = (ctx.env["REEL_PASSPHRASE"] ?? "") !== "" || ctx.stdin.isTTY;
      const medium = o.file === "-" ? null : MediumFile.open(resolve(ctx.cwd, o.file), codecs);
      let entries = 0;
      const damaged = new Set<number>();
      const reporter = new TerminalReporter(ctx.stderr, ctx.nowMs);
      let names = new Map<number, string>();
      let result;
      try {
        result = await readSequentially(medium ?? blocksFromStream(ctx.stdin), {
          codecs,
          passphrase: () => (hasPassphrase ? readPassphrase(ctx.env, { confirm: false }) : null),
          skipEncrypted: !hasPassphrase,
          handlers: {
            entry: (e) => {
              entries++;
              names.set(e.number, displayPath(e.path));
              if (names.size > 1000) names = new Map([[e.number, displayPath(e.path)]]);
            },
            damage: (d) => {
              if (d.entryNumber !== null && !damaged.has(d.entryNumber)) {
                damaged.add(d.entryNumber);
                reporter.error(`"${names.get(d.entryNumber) ?? `entry ${d.entryNumber}`}": damaged (${d.message})`);
              }
            },
            lostEntry: (e) => reporter.error(`"${displayPath(e.path)}": lost, its entry lay in a damaged part of the archive`),
          },
        });
      } finally {
        reporter.stop();
        medium?.close();
      }
      const problems = archiveProblems(result);
      if (result.head?.encryption != null && !hasPassphrase) ctx.stderr.write("reel: encrypted archive verified by checksums and digest only (no passphrase given)\n");
      for (const p of problems) ctx.stderr.write(`reel: ${p}\n`);
      if (problems.length > 0) {
        ctx.stderr.write(`reel: archive "${o.file}" is NOT intact\n`);
        ctx.exit(1);
      } else {
        ctx.stdout.write(`archive "${o.file}" is intact: ${result.trailer?.trailer.entryCount ?? entries} entries, ${result.trailer?.trailer.dataBytes ?? 0} data bytes, ${result.blocks} blocks\n`);
      }
    });
  return archive;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function isUtf8(bytes: Uint8Array): boolean {
  return Buffer.from(Buffer.from(bytes).toString("utf8"), "utf8").equals(Buffer.from(bytes));
}

function isoTime(sec: number, nsec: number): string {
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  return `${base}.${String(nsec).padStart(9, "0")}Z`;
}

function listJson(entries: Entry[]): string {
  const rows = entries.map((e) => ({
    path: isUtf8(e.path) ? Buffer.from(e.path).toString("utf8") : displayPath(e.path),
    ...(isUtf8(e.path) ? {} : { pathHex: hex(e.path) }),
    type: entryTypeNames[e.type],
    size: e.size,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    user: e.userName === null ? null : Buffer.from(e.userName).toString("utf8"),
    group: e.groupName === null ? null : Buffer.from(e.groupName).toString("utf8"),
    mtime: isoTime(e.mtimeSec, e.mtimeNsec),
    ...(e.linkTarget === null ? {} : { linkTarget: isUtf8(e.linkTarget) ? Buffer.from(e.linkTarget).toString("utf8") : displayPath(e.linkTarget) }),
    ...(e.device === null ? {} : { device: e.device }),
  }));
  return JSON.stringify(rows) + "\n";
}

const typeLetter: Record<number, string> = { 1: "-", 2: "d", 3: "l", 4: "h", 5: "p", 6: "c", 7: "b" };

function modeString(e: Entry): string {
  const m = e.mode;
  const rwx = (shift: number, special: number, char: string): string =>
    ((m >> shift) & 4 ? "r" : "-") + ((m >> shift) & 2 ? "w" : "-") +
    ((m & special) !== 0 ? ((m >> shift) & 1 ? char : char.toUpperCase()) : (m >> shift) & 1 ? "x" : "-");
  return (typeLetter[e.type] ?? "?") + rwx(6, 0o4000, "s") + rwx(3, 0o2000, "s") + rwx(0, 0o1000, "t");
}

function listText(entries: Entry[], verbose: boolean): string {
  const lines: string[] = [];
  for (const e of entries) {
    const path = displayPath(e.path);
    if (!verbose) {
      lines.push(path);
      continue;
    }
    const owner = `${e.userName === null ? e.uid : Buffer.from(e.userName).toString()}/${e.groupName === null ? e.gid : Buffer.from(e.groupName).toString()}`;
    const size = e.device !== null ? `${e.device.major},${e.device.minor}` : String(e.size);
    const when = new Date(e.mtimeSec * 1000).toISOString().slice(0, 16).replace("T", " ");
    const link = e.linkTarget === null ? "" : e.type === 4 ? ` link to ${displayPath(e.linkTarget)}` : ` -> ${displayPath(e.linkTarget)}`;
    lines.push(`${modeString(e)} ${owner} ${size.padStart(10)} ${when} ${path}${link}`);
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}
