/**
 * Media check and scan end to end, with real processes: lose the catalog, keep the media, and
 * get the savesets back from the volumes alone (`reel media scan`); damage a volume and have
 * `reel media check` find the block and mark the medium.
 */
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertSameTree, flipByte, sh, tempDir } from "./helpers.js";
import { jsonOf, startServer } from "./server-helpers.js";

interface SavesetJson { id: number; uuid: string; task: string; client: string; level: string; status: string; parent: number | null; backupDay: string; endOfLife: string; files: number }
interface JobJson { job: { state: string; message: string; files: number; errors: number } }
interface MediumJson { label: string; state: string; pool: string; blocks: number }

const BLOCK_SIZE = 256 * 1024;

function makeTree(root: string): void {
  mkdirSync(join(root, "docs"), { recursive: true });
  mkdirSync(join(root, "src", "deep"), { recursive: true });
  writeFileSync(join(root, "docs", "readme.txt"), "hello\n");
  writeFileSync(join(root, "src", "big.bin"), Buffer.alloc(600 * 1024, 7));
  writeFileSync(join(root, "src", "deep", "leaf.c"), "int main() { return 0; }\n");
  writeFileSync(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x6e, 0xff, 0x2e, 0x74])]), "not utf-8 name");
  symlinkSync("docs/readme.txt", join(root, "link"));
  sh("ln src/deep/leaf.c hard", root);
}

test("media scan: after the catalog is lost, the savesets come back from the volumes with their levels, parents and file index, and restore", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "var");
  const src = join(dir, "src");
  makeTree(src);
  const first = await startServer(t, data);
  jsonOf(await first.cli(["backup", "--task", "home", "--json", src]));
  writeFileSync(join(src, "docs", "readme.txt"), "changed\n");
  appendFileSync(join(src, "src", "big.bin"), "more");
  rmSync(join(src, "src", "deep"), { recursive: true });
  writeFileSync(join(src, "docs", "new.txt"), "new file\n");
  jsonOf(await first.cli(["backup", "--task", "home", "--level", "incr", "--json"]));
  jsonOf(await first.cli(["backup", "--task", "etc", "--json", join(src, "docs")]));
  const before = jsonOf<SavesetJson[]>(await first.cli(["savesets", "--json"]));
  const mediaBefore = jsonOf<MediumJson[]>(await first.cli(["media", "--json"]));
  await first.stop();

  // Lose the catalog; keep the media and the identities.
  for (const name of readdirSync(data).filter((n) => n.startsWith("catalog.sqlite"))) rmSync(join(data, name));
  const server = await startServer(t, data);
  assert.deepEqual(jsonOf<SavesetJson[]>(await server.cli(["savesets", "--json"])), []);

  const scan = jsonOf<JobJson>(await server.cli(["media", "scan", "--drive", "disk0", "--json"]));
  assert.equal(scan.job.state, "done", scan.job.message);
  assert.equal(scan.job.errors, 0, scan.job.message);
  const after = jsonOf<SavesetJson[]>(await server.cli(["savesets", "--json"]));
  const key = (s: SavesetJson): string => s.uuid;
  const byUuid = new Map(after.map((s) => [key(s), s]));
  assert.equal(after.length, before.length);
  for (const old of before) {
    const found = byUuid.get(old.uuid);
    assert.ok(found !== undefined, `saveset ${old.uuid} is back`);
    const parent = old.parent === null ? null : before.find((s) => s.id === old.parent)!.uuid;
    assert.deepEqual(
      { task: found.task, client: found.client, level: found.level, status: found.status, backupDay: found.backupDay, endOfLife: found.endOfLife, parent: found.parent === null ? null : after.find((s) => s.id === found.parent)!.uuid },
      { task: old.task, client: old.client, level: old.level, status: "complete", backupDay: old.backupDay, endOfLife: old.endOfLife, parent },
    );
  }
  const media = jsonOf<MediumJson[]>(await server.cli(["media", "--json"]));
  assert.deepEqual(media.map((m) => [m.label, m.pool, m.blocks]), mediaBefore.map((m) => [m.label, m.pool, m.blocks]));

  // Browse and restore the incremental as of itself: its full is read first, deletions applied.
  const incr = after.find((s) => s.level === "incr")!;
  const top = jsonOf<Array<{ name: string }>>(await server.cli(["ls", String(incr.id), join(src, "src"), "--json"]));
  assert.deepEqual(top.map((f) => f.name), ["big.bin"]);
  const target = join(dir, "restore");
  const restored = await server.cli(["restore", String(incr.id), "--target", target]);
  assert.equal(restored.status, 0, restored.stderr);
  assertSameTree(src, join(target, src), { root: false });

  // A hard link restored alone brings its file: the scanned index ties them together.
  const full = after.find((s) => s.level === "full" && s.task === "home")!;
  const link = join(dir, "restore-link");
  const linked = await server.cli(["restore", String(full.id), "--target", link, join(src, "src", "deep", "leaf.c")]);
  assert.equal(linked.status, 0, linked.stderr);
  assert.equal(sh(`cat '${join(link, src, "src", "deep", "leaf.c")}'`), "int main() { return 0; }\n");
  assert.equal(sh(`stat -c %i '${join(link, src, "hard")}'`), sh(`stat -c %i '${join(link, src, "src", "deep", "leaf.c")}'`));

  // Scanning again adds nothing.
  const again = jsonOf<JobJson>(await server.cli(["media", "scan", "--drive", "disk0", "--json"]));
  assert.equal(again.job.state, "done", again.job.message);
  assert.match(again.job.message, /0 media, 0 savesets and 0 copies added/);
  assert.equal(jsonOf<SavesetJson[]>(await server.cli(["savesets", "--json"])).length, before.length);

  // And the next incremental builds on what the scan brought back.
  writeFileSync(join(src, "docs", "later.txt"), "later\n");
  const next = jsonOf<{ saveset: SavesetJson }>(await server.cli(["backup", "--task", "home", "--level", "incr", "--json"]));
  assert.equal(next.saveset.level, "incr");
  assert.equal(next.saveset.parent, incr.id);
});

test("media check: a flipped byte is found by block number and marks the medium error; a clean check gives back its state", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "var");
  const src = join(dir, "src");
  makeTree(src);
  const server = await startServer(t, data);
  jsonOf(await server.cli(["backup", "--task", "home", "--json", src]));
  const [medium] = jsonOf<MediumJson[]>(await server.cli(["media", "--json"]));
  assert.ok(medium !== undefined);

  const clean = await server.cli(["media", "check", medium.label]);
  assert.equal(clean.status, 0, clean.stderr);
  assert.match(clean.stdout, /all intact/);

  const volume = join(data, "media", `${medium.label}.reel`);
  flipByte(volume, 2 * BLOCK_SIZE + 1000);
  const damaged = await server.cli(["media", "check", medium.label]);
  assert.equal(damaged.status, 1, damaged.stderr);
  assert.match(damaged.stderr, /1 damaged \(block 2\)/);
  assert.match(damaged.stderr, /SERVER_MEDIUM_DAMAGED|marked "error"/);
  const again = await server.cli(["media", "check", medium.label, "--json"]);
  assert.equal(again.status, 1, again.stderr);
  const marked = JSON.parse(again.stdout) as { job: { state: string }; medium: MediumJson };
  assert.equal(marked.job.state, "failed");
  assert.equal(marked.medium.state, "error");

  flipByte(volume, 2 * BLOCK_SIZE + 1000);
  const repaired = await server.cli(["media", "check", medium.label]);
  assert.equal(repaired.status, 0, repaired.stderr);
  const [now] = jsonOf<MediumJson[]>(await server.cli(["media", "--json"]));
  assert.equal(now?.state, medium.state);

  // The API: unknown medium or drive 404, an operator may not run media jobs.
  assert.equal((await server.api<{ error: { code: string } }>("POST", "/media/check", { label: "NOPE00001" })).body.error.code, "API_NOT_FOUND");
  assert.equal((await server.api<{ error: { code: string } }>("POST", "/media/scan", { drive: "nope" })).status, 404);
  const operator = jsonOf<{ token: string }>(await server.cli(["token", "create", "--for", "api", "--role", "operator", "--json"])).token;
  assert.equal((await server.api("POST", "/media/check", { label: medium.label }, operator)).status, 403);
  const waited = await server.api<{ kind: string; state: string }>("POST", "/media/check", { label: medium.label, wait: true });
  assert.deepEqual([waited.status, waited.body.kind, waited.body.state], [200, "media", "done"]);
});
