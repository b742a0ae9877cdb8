/**
 * Damaged archives (format.md §3.4, §4.4): verify and extract name every file that damage
 * touches, a damaged file is never left at its name as if it were good (it is kept as
 * NAME.reel-damaged), every other file comes back intact, and inputs that are not archives at
 * all get a clear error and exit code 2.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { crc32c } from "../../src/format/index.js";
import { create, flipByte, reel, reelAsync, sh, shellAsync, tempDir, type Run } from "./helpers.js";

const MiB = 1024 * 1024;

interface Damaged {
  dir: string;
  src: string;
  archive: string;
  /** Relative paths of the regular files in src, in archive order. */
  files: string[];
}

/** A real archive: 200 small text files of about 10 KB (a/s001…), a 3 MiB random file (b-big.bin), a last random file. */
function realArchive(t: TestContext, extra: string[] = [], smallFiles = 200): Damaged {
  const dir = tempDir(t);
  const src = join(dir, "src");
  mkdirSync(join(src, "a"), { recursive: true });
  const files: string[] = [];
  for (let i = 1; i <= smallFiles; i++) {
    const name = `a/s${String(i).padStart(3, "0")}`;
    writeFileSync(join(src, name), `small file ${i}\n`.repeat(600 + i));
    files.push(name);
  }
  writeFileSync(join(src, "b-big.bin"), randomBytes(3 * MiB));
  writeFileSync(join(src, "z-last.bin"), randomBytes(600000));
  files.push("b-big.bin", "z-last.bin");
  const archive = join(dir, "a.reel");
  create(archive, src, ["."], extra);
  return { dir, src, archive, files };
}

/**
 * The promise made to the user after damage: every file is either restored intact at its name,
 * or named on stderr as damaged or lost; a file that is not intact is never at its name.
 * Returns which files were named.
 */
function accountFor(d: Damaged, out: string, stderr: string): { named: string[]; restored: string[] } {
  const named: string[] = [], restored: string[] = [], problems: string[] = [];
  for (const f of d.files) {
    const at = join(out, f);
    const isNamed = stderr.includes(`"${f}": damaged`) || stderr.includes(`"${f}": lost`);
    if (isNamed) named.push(f);
    if (existsSync(at)) {
      if (readFileSync(at).equals(readFileSync(join(d.src, f)))) restored.push(f);
      else problems.push(`${f}: left at its name with wrong content${isNamed ? " (though named)" : ""}`);
    } else if (!isNamed) {
      problems.push(`${f}: missing and not named`);
    }
    if (existsSync(`${at}.reel-damaged`) && !isNamed) problems.push(`${f}: kept aside as damaged without being named`);
  }
  if (problems.length > 0) assert.fail(`${problems.length} file(s) not accounted for:\n  ${problems.slice(0, 10).join("\n  ")}\nstderr:\n${stderr.slice(0, 2000)}`);
  return { named, restored };
}

/** Extracts the whole archive (or `names`) from the file and through a pipe, at the same time. */
async function extractBoth(archive: string, dir: string, name: string, names: string[] = []): Promise<Array<[string, Run, string]>> {
  const viaFile = join(dir, `${name}-file`), viaPipe = join(dir, `${name}-pipe`);
  const [a, b] = await Promise.all([
    reelAsync(["archive", "extract", "-f", archive, "-C", viaFile, ...names]),
    shellAsync(`$REEL archive extract -f - -C '${viaPipe}' ${names.join(" ")} < '${archive}'`),
  ]);
  return [["file", a, viaFile], ["pipe", b, viaPipe]];
}

test("a flipped byte in a file's data: verify and extract name that file, keep it aside as .reel-damaged, restore the rest", async (t) => {
  const d = realArchive(t);
  // Random data is stored as it is (zstd cannot shrink it): find the bytes 1.5 MiB into b-big.bin.
  const bytes = readFileSync(d.archive);
  const at = bytes.indexOf(readFileSync(join(d.src, "b-big.bin")).subarray(1.5 * MiB, 1.5 * MiB + 64));
  assert.ok(at > 0, "the file's data is not found in the archive");
  flipByte(d.archive, at + 10);
  const [verify, one, extracted] = await Promise.all([
    reelAsync(["archive", "verify", "-f", d.archive]),
    // Named on the command line: a seek through the index.
    reelAsync(["archive", "extract", "-f", d.archive, "-C", join(d.dir, "one"), "b-big.bin", "z-last.bin"]),
    extractBoth(d.archive, d.dir, "whole"),
  ]);
  assert.equal(verify.status, 1);
  assert.match(verify.stderr, /"b-big\.bin": damaged/);
  assert.match(verify.stderr, /NOT intact/);
  assert.equal(verify.stdout, "");
  for (const [how, run, out] of extracted) {
    assert.equal(run.status, 1, `${how}: ${run.stderr}`);
    const { named, restored } = accountFor(d, out, run.stderr);
    assert.deepEqual(named, ["b-big.bin"], how);
    assert.equal(restored.length, d.files.length - 1, how);
    assert.equal(existsSync(join(out, "b-big.bin")), false, `${how}: the damaged file is at its name`);
    assert.equal(lstatSync(join(out, "b-big.bin.reel-damaged")).size, 3 * MiB, how);
    assert.match(run.stderr, /kept as "b-big\.bin\.reel-damaged"/, how);
  }
  assert.equal(one.status, 1, one.stderr);
  assert.match(one.stderr, /"b-big\.bin": damaged/);
  assert.deepEqual(readdirSync(join(d.dir, "one")).sort(), ["b-big.bin.reel-damaged", "z-last.bin"]);
});

test("a flipped byte among small files' entries: the files whose entries were lost are named, the rest restored", async (t) => {
  const d = realArchive(t, ["--compress", "none"]);
  const bytes = readFileSync(d.archive);
  const at = bytes.indexOf(Buffer.from("a/s150"));
  assert.ok(at > 0 && at < bytes.lastIndexOf(Buffer.from("a/s150")), "the entry (before the index) is not found");
  flipByte(d.archive, at + 2);
  const [verify, extracted] = await Promise.all([reelAsync(["archive", "verify", "-f", d.archive]), extractBoth(d.archive, d.dir, "whole")]);
  assert.equal(verify.status, 1);
  assert.match(verify.stderr, /"a\/s150": lost/);
  for (const [how, run, out] of extracted) {
    assert.equal(run.status, 1, `${how}: ${run.stderr}`);
    assert.match(run.stderr, /"a\/s150": lost, its entry lay in a damaged part of the archive/, how);
    const { named, restored } = accountFor(d, out, run.stderr);
    assert.ok(named.includes("a/s150"), how);
    // One damaged block loses the chunk (about 1 MiB) it lies in, not the archive.
    assert.ok(restored.includes("a/s001") && restored.includes("z-last.bin"), `${how}: files far from the damage were not restored`);
  }
});

test("a truncated archive: verify and extract say so, and what came before the cut is restored", async (t) => {
  const d = realArchive(t);
  const size = lstatSync(d.archive).size;
  const cuts = [Math.floor(size / 2), Math.floor(size / 2) + 1234];
  const runs = await Promise.all(cuts.map(async (cut) => {
    const archive = join(d.dir, `cut${cut}.reel`);
    writeFileSync(archive, readFileSync(d.archive).subarray(0, cut));
    return { cut, results: await Promise.all([reelAsync(["archive", "verify", "-f", archive]), extractBoth(archive, d.dir, `cut${cut}`)]) };
  }));
  for (const { cut, results: [verify, extracted] } of runs) {
    assert.equal(verify.status, 1, `cut at ${cut}`);
    assert.match(verify.stderr, /truncated/);
    for (const [how, run, out] of extracted) {
      assert.equal(run.status, 1, `${how}: ${run.stderr}`);
      assert.match(run.stderr, /the archive is truncated/, how);
      // What lies before the cut comes back; the file the cut goes through is named and kept aside;
      // the files after it are not in what is left (and the index that would name them is gone).
      const present = d.files.filter((f) => existsSync(join(out, f)));
      for (const f of present) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(d.src, f))), `${how}: ${f} restored wrong`);
      assert.deepEqual(present, d.files.slice(0, 200), `${how}, cut at ${cut}`);
      assert.match(run.stderr, /"b-big\.bin": damaged/, how);
      assert.ok(existsSync(join(out, "b-big.bin.reel-damaged")), how);
    }
  }
});

test("inputs that are not archives at all: a clear error and exit 2, from a file and from standard input", async (t) => {
  const dir = tempDir(t);
  const inputs: Array<[string, Buffer]> = [["random", randomBytes(200000)], ["empty", Buffer.alloc(0)], ["text", Buffer.from("hello, this is not an archive\n".repeat(100))], ["short", Buffer.from("REEL")]];
  const runs: Array<Promise<[string, Run]>> = [];
  for (const [name, content] of inputs) {
    writeFileSync(join(dir, name), content);
    for (const verb of ["extract", "list", "verify"]) {
      const args = verb === "extract" ? ["-C", join(dir, `out-${name}`)] : [];
      runs.push(reelAsync(["archive", verb, "-f", join(dir, name), ...args]).then((r) => [`${verb} ${name} (file)`, r]));
      if (verb === "extract" || name === "empty") runs.push(reelAsync(["archive", verb, "-f", "-", ...args], { input: content }).then((r) => [`${verb} ${name} (stdin)`, r]));
    }
  }
  for (const [what, run] of await Promise.all(runs)) {
    assert.equal(run.status, 2, `${what}: ${run.stderr}`);
    assert.match(run.stderr, /not a reel archive|does not start with a reel block/, what);
    assert.equal(run.stderr.split("\n").filter((l) => l !== "").length, 1, `${what}: one line, no stack trace: ${run.stderr}`);
    assert.equal(run.stdout, "", what);
  }
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith("out-")).flatMap((n) => readdirSync(join(dir, n))), [], "extraction wrote something");
});

test("a damaged label (block 0) does not stop extraction: the stream's blocks carry everything, the damage is reported", async (t) => {
  const d = realArchive(t, [], 20);
  const pristine = readFileSync(d.archive);
  // After the magic: the version, the block size field, the label's JSON.
  const runs = await Promise.all([4, 10, 100].map(async (offset) => {
    const archive = join(d.dir, `label${offset}.reel`);
    writeFileSync(archive, pristine);
    flipByte(archive, offset, 0x02);
    const [extracted, listed, verify] = await Promise.all([extractBoth(archive, d.dir, `label${offset}`), reelAsync(["archive", "list", "-f", archive]), reelAsync(["archive", "verify", "-f", archive])]);
    return { offset, extracted, listed, verify };
  }));
  for (const { offset, extracted, listed, verify } of runs) {
    for (const [how, run, out] of extracted) {
      assert.equal(run.status, 1, `byte ${offset}, ${how}: ${run.stderr}`);
      assert.match(run.stderr, /1 damaged block\(s\): 0\n/, `byte ${offset}, ${how}`);
      const { named, restored } = accountFor(d, out, run.stderr);
      assert.deepEqual(named, [], `byte ${offset}, ${how}`);
      assert.equal(restored.length, d.files.length, `byte ${offset}, ${how}`);
    }
    assert.equal(listed.stdout.split("\n").filter((l) => l !== "").length, d.files.length + 2, `byte ${offset}: list`);
    assert.equal(verify.status, 1);
    assert.match(verify.stderr, /damaged block\(s\): 0\n/);
  }
});

test("an intact archive of a newer format version is refused: exit 2, 'not supported'", async (t) => {
  const d = realArchive(t, [], 5);
  const bytes = readFileSync(d.archive);
  // Version 2 in the label, with a correct checksum: a real newer medium, not damage.
  bytes.writeUInt16LE(2, 4);
  const payloadLength = bytes.readUInt32LE(12);
  bytes.writeUInt32LE(crc32c(bytes.subarray(80, 80 + payloadLength), crc32c(bytes.subarray(0, 76))), 76);
  writeFileSync(d.archive, bytes);
  const runs = await Promise.all([reelAsync(["archive", "extract", "-f", d.archive, "-C", join(d.dir, "out")]), shellAsync(`$REEL archive list -f - < '${d.archive}'`)]);
  for (const run of runs) {
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /format version 2 is not supported/);
  }
  assert.equal(existsSync(join(d.dir, "out/a")), false);
});

test("a damaged index: list and a named extraction fall back on reading front to back, and say the archive is damaged", async (t) => {
  // Small blocks: the damaged block holds index rows only, not the last file's data.
  const d = realArchive(t, ["--compress", "none", "--block-size", "4096"]);
  const bytes = readFileSync(d.archive);
  // The last copy of a path is in the index, at the end of the stream.
  flipByte(d.archive, bytes.lastIndexOf(Buffer.from("a/s150")) + 1);
  const [listed, named] = await Promise.all([
    reelAsync(["archive", "list", "-f", d.archive]),
    reelAsync(["archive", "extract", "-f", d.archive, "-C", join(d.dir, "named"), "a/s150", "z-last.bin"]),
  ]);
  assert.equal(listed.status, 1, listed.stderr);
  assert.equal(listed.stdout.split("\n").filter((l) => l !== "").length, d.files.length + 2, "every entry is still listed");
  assert.match(listed.stderr, /damaged block/);
  assert.equal(named.status, 1, named.stderr);
  assert.match(named.stderr, /damaged block/);
  assert.equal(readFileSync(join(d.dir, "named/a/s150"), "utf8"), readFileSync(join(d.src, "a/s150"), "utf8"));
  assert.ok(readFileSync(join(d.dir, "named/z-last.bin")).equals(readFileSync(join(d.src, "z-last.bin"))));
  assert.deepEqual(sh("find named -type f | sort", d.dir), "named/a/s150\nnamed/z-last.bin\n");
});

test("a flipped byte in the first stream block (the one that holds the stream's HEAD) loses only what lies in that block's chunk", (t) => {
  const d = realArchive(t);
  // Block 1 starts with the HEAD record (a few hundred bytes), then the first chunk.
  flipByte(d.archive, 65536 + 4000);
  const run = reel(["archive", "extract", "-f", d.archive, "-C", join(d.dir, "out")]);
  assert.equal(run.status, 1, run.stderr);
  const { named, restored } = accountFor(d, join(d.dir, "out"), run.stderr);
  assert.ok(named.includes("a/s001"), run.stderr);
  assert.ok(restored.includes("z-last.bin"), run.stderr);
});
