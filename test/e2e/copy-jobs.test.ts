/**
 * Copy jobs end to end on real processes (the server with its embedded node and client): the
 * patent's Fig. 5 — several tasks backed up at once interleave on one volume; a copy job reads
 * that volume once and writes the selected savesets to another pool, from which they restore
 * byte for byte; `notCopiedTo`, demultiplexing and compaction.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { assertSameTree, flipByte, tempDir } from "./helpers.js";
import { jsonOf, startDaemon, startServer, type TestServer } from "./server-helpers.js";

const BLOCK = 256 * 1024;

interface JobJson { job: { id: number; state: string; message: string; files: number; bytes: number; errors: number } }
interface SavesetJson { saveset: { id: number; status: string }; job: { state: string; message: string } }
interface MediumJson { id: number; label: string; pool: string; drive: string; state: string; blocks: number }

/** A tree of random (incompressible) files, so that streams take many blocks. */
function makeTree(root: string, files: number, size: number): void {
  mkdirSync(join(root, "sub"), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(root, i % 2 === 0 ? "sub" : "", `f${i}.bin`), randomBytes(size));
  writeFileSync(join(root, "note.txt"), `tree ${root}\n`);
}

/** A pool on a drive of its own (a directory) of the embedded node. */
async function addPool(server: TestServer, dir: string, name: string, pool: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, `media-${name}`);
  mkdirSync(path);
  const drive = await server.api("POST", "/drives", { name: `disk-${name}`, node: "local", kind: "dir", path, driveGroup: `group-${name}` });
  assert.equal(drive.status, 201, JSON.stringify(drive.body));
  const made = await server.api("POST", "/pools", { name, driveGroup: `group-${name}`, ...pool });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return path;
}

/** Where each copy of a saveset lies: per copy, its media labels and its extents (read from the catalog). */
function copiesOf(server: TestServer, saveset: number): Array<{ pools: string[]; labels: string[]; extents: number }> {
  const db = new Database(join(server.dataDir, "catalog.sqlite"), { readonly: true, fileMustExist: true });
  try {
    const copies = db.prepare("SELECT id FROM copies WHERE saveset_id = ? ORDER BY id").pluck().all(saveset) as number[];
    return copies.map((id) => {
      const rows = db.prepare("SELECT m.label AS label, p.name AS pool FROM copy_extents e JOIN media m ON m.id = e.medium_id JOIN pools p ON p.id = m.pool_id WHERE e.copy_id = ? ORDER BY e.stream_offset").all(id) as Array<{ label: string; pool: string }>;
      return { pools: [...new Set(rows.map((r) => r.pool))], labels: [...new Set(rows.map((r) => r.label))], extents: rows.length };
    });
  } finally {
    db.close();
  }
}

/** How often the stream id in the block headers changes from one block to the next (format.md §3.1: bytes 40–55). */
function streamSwitches(volume: string): number {
  const bytes = readFileSync(volume);
  let switches = 0;
  let last = "";
  for (let at = BLOCK; at + BLOCK <= bytes.length; at += BLOCK) {
    const id = bytes.subarray(at + 40, at + 56).toString("hex");
    if (last !== "" && id !== last) switches++;
    last = id;
  }
  return switches;
}

async function media(server: TestServer): Promise<MediumJson[]> {
  return jsonOf<MediumJson[]>(await server.cli(["media", "--json"]));
}

async function restoreSame(server: TestServer, dir: string, saveset: number, src: string): Promise<void> {
  const target = join(dir, `restore-${saveset}-${Math.random().toString(36).slice(2)}`);
  const run = await server.cli(["restore", String(saveset), "--target", target]);
  assert.equal(run.status, 0, run.stderr);
  assertSameTree(src, join(target, src), { root: false });
}

test("Fig. 5: interleaved savesets are migrated to another pool reading their volume once, restore from there, notCopiedTo and demux", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  await addPool(server, dir, "offsite");
  await addPool(server, dir, "demux");
  const trees = ["a", "b", "c"].map((name) => join(dir, `src-${name}`));
  trees.forEach((root) => makeTree(root, 8, 2 * 1024 * 1024));

  // Three tasks at once: their streams share the default pool's volume, block by block.
  const jobs = await Promise.all(trees.map((root, i) => server.api<{ state: string; saveset: number; message: string }>("POST", "/backups", { task: `task${i}`, paths: [root], wait: true })));
  for (const job of jobs) assert.equal(job.body.state, "done", job.body.message);
  const [a, b, c] = jobs.map((job) => job.body.saveset) as [number, number, number];
  const before = await media(server);
  assert.equal(before.length, 1, "one volume holds the three streams");
  const volume = before[0]!;
  for (const id of [a, b, c]) assert.deepEqual(copiesOf(server, id).map((x) => x.labels), [[volume.label]]);
  const switches = streamSwitches(join(server.dataDir, "media", `${volume.label}.reel`));
  assert.ok(switches > 3, `the streams interleave on the volume (${switches} changes of stream from block to block)`);

  // Migrate two of them: the volume is read once, front to back, and only their copies move.
  const moved = jsonOf<JobJson>(await server.cli(["migrate", "--to", "offsite", "--saveset", String(a), "--saveset", String(c), "--json"]));
  assert.equal(moved.job.state, "done", moved.job.message);
  assert.equal(moved.job.files, 2);
  const volumeBlocks = statSync(join(server.dataDir, "media", `${volume.label}.reel`)).size / BLOCK;
  assert.match(moved.job.message, new RegExp(`read 1 volume\\(s\\) once \\(${volumeBlocks} blocks\\)`));
  for (const id of [a, c]) assert.deepEqual(copiesOf(server, id).map((x) => x.pools), [["offsite"]], `saveset ${id} lies only in pool offsite now`);
  assert.deepEqual(copiesOf(server, b).map((x) => x.pools), [["default"]]);
  assert.equal((await media(server)).find((m) => m.label === volume.label)?.state, "appendable", "the volume still holds saveset b");

  // Their only copies are the new ones: they restore byte for byte from pool offsite.
  await restoreSame(server, dir, a, trees[0]!);
  await restoreSame(server, dir, c, trees[2]!);

  // notCopiedTo: the default pool's saveset not yet in offsite is copied, then nothing is.
  const first = jsonOf<JobJson>(await server.cli(["copy", "--to", "offsite", "--pool", "default", "--not-copied-to", "offsite", "--json"]));
  assert.equal(first.job.state, "done", first.job.message);
  assert.equal(first.job.files, 1);
  assert.deepEqual(copiesOf(server, b).map((x) => x.pools).sort(), [["default"], ["offsite"]]);
  const again = jsonOf<JobJson>(await server.cli(["copy", "--to", "offsite", "--not-copied-to", "offsite", "--json"]));
  assert.equal(again.job.state, "done", again.job.message);
  assert.equal(again.job.files, 0);
  assert.match(again.job.message, /0 saveset\(s\)/);

  // Demultiplexing: each saveset lies contiguously on the target, one extent each.
  const demuxed = jsonOf<JobJson>(await server.cli(["copy", "--to", "demux", "--demux", "--pool", "offsite", "--json"]));
  assert.equal(demuxed.job.state, "done", demuxed.job.message);
  assert.equal(demuxed.job.files, 3);
  for (const id of [a, b, c]) {
    const onDemux = copiesOf(server, id).filter((x) => x.pools.includes("demux"));
    assert.equal(onDemux.length, 1);
    assert.equal(onDemux[0]!.extents, 1, `saveset ${id} is one extent on pool demux`);
  }

  // A chain of two copy stages on one node: the node writes both, one stream read.
  await addPool(server, dir, "chain1");
  await addPool(server, dir, "chain2");
  const chain = jsonOf<JobJson>(await server.cli(["copy", "--to", "chain1,chain2", "--saveset", String(b), "--json"]));
  assert.equal(chain.job.state, "done", chain.job.message);
  assert.deepEqual(copiesOf(server, b).flatMap((x) => x.pools).filter((p) => p.startsWith("chain")), ["chain1", "chain2"]);

  // A calendar copy event copies its task's live savesets not yet in the first pool of its route.
  await addPool(server, dir, "vault");
  const calendar = { schedules: [{ name: "nightly", unit: "day", at: "03:00" }], events: [{ name: "newday", type: "newday", schedule: "nightly" }, { name: "vault-1", type: "copy", task: "task1", to: "vault", schedule: "nightly" }] };
  assert.equal((await server.api("PUT", "/calendar/config", calendar)).status, 200);
  const ended = await untilJobEnds(server, async () => (await server.api<{ job: number }>("POST", "/calendar/start", { event: "vault-1" })).body.job);
  assert.equal(ended.state, "done", ended.message);
  assert.equal(ended.kind, "copy");
  assert.deepEqual(copiesOf(server, b).flatMap((x) => x.pools).filter((p) => p === "vault"), ["vault"]);
});

/**
 * Backs up two trees, "good" (saveset p) and "bad" (saveset q), and flips a byte in the third
 * block of q's stream on the source volume.
 */
async function backUpGoodAndDamaged(server: TestServer, dir: string): Promise<{ good: string; p: number; q: number }> {
  const [good, bad] = ["good", "bad"].map((name) => join(dir, `src-${name}`)) as [string, string];
  makeTree(good, 3, 1024 * 1024);
  makeTree(bad, 3, 1024 * 1024);
  const ids: number[] = [];
  for (const [task, root] of [["good", good], ["bad", bad]] as const) ids.push(jsonOf<SavesetJson>(await server.cli(["backup", "--task", task, "--json", root])).saveset.id);
  const [p, q] = ids as [number, number];
  const [volume] = await media(server);
  const file = join(server.dataDir, "media", `${volume!.label}.reel`);
  const uuid = (await server.api<{ uuid: string }>("GET", `/savesets/${q}`)).body.uuid;
  const bytes = readFileSync(file);
  const blocks: number[] = [];
  for (let at = BLOCK; at + BLOCK <= bytes.length; at += BLOCK) if (bytes.subarray(at + 40, at + 56).toString("hex") === uuid) blocks.push(at);
  assert.ok(blocks.length > 4, `saveset ${q} takes ${blocks.length} blocks`);
  flipByte(file, blocks[2]! + 5000);
  return { good, p, q };
}

test("a chain of copy stages on two nodes; a damaged source block fails its saveset only, which keeps its source copy", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  const token = jsonOf<{ token: string }>(await server.cli(["token", "create", "--for", "node", "--name", "far", "--json"])).token;
  await startDaemon(t, ["node", "--server", server.url, "--enroll", token, "--data", join(dir, "node-far")], /running/);
  mkdirSync(join(dir, "media-far"));
  assert.equal((await server.api("POST", "/drives", { name: "disk-far", node: "far", kind: "dir", path: join(dir, "media-far"), driveGroup: "group-far" })).status, 201);
  assert.equal((await server.api("POST", "/pools", { name: "far", driveGroup: "group-far" })).status, 201);
  await addPool(server, dir, "near");
  const { good, p, q } = await backUpGoodAndDamaged(server, dir);

  // Node far is stage 1 and forwards to node local, stage 2.
  const run = await server.cli(["migrate", "--to", "far,near", "--saveset", String(p), "--saveset", String(q), "--json"]);
  assert.equal(run.status, 1, run.stderr);
  const job = JSON.parse(run.stdout) as JobJson;
  assert.equal(job.job.state, "failed");
  assert.equal(job.job.files, 1);
  assert.match(job.job.message, new RegExp(`saveset ${q}: .*lost`));
  assert.deepEqual(copiesOf(server, p).map((x) => x.pools), [["far"], ["near"]]);
  assert.deepEqual(copiesOf(server, q).map((x) => x.pools), [["default"]], "the failed saveset keeps its source copy and gets no other");
  // Its copies now lie on node far and node local only: it restores from them.
  await restoreSame(server, dir, p, good);
});

test("on one node a copy carries blocks over as they are; a damaged source block fails its saveset only, the others restore from the copy", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  await addPool(server, dir, "near");
  const { good, p, q } = await backUpGoodAndDamaged(server, dir);

  const run = await server.cli(["copy", "--to", "near", "--saveset", String(p), "--saveset", String(q), "--json"]);
  assert.equal(run.status, 1, run.stderr);
  const job = JSON.parse(run.stdout) as JobJson;
  assert.equal(job.job.state, "failed");
  assert.match(job.job.message, new RegExp(`saveset ${q}: .*lost`));
  assert.deepEqual(copiesOf(server, p).map((x) => x.pools), [["default"], ["near"]]);
  assert.deepEqual(copiesOf(server, q).map((x) => x.pools), [["default"]], "the damaged saveset gets no copy");
  // The copy's blocks passed every check on the way in; read from the copy alone, byte for byte.
  const target = join(dir, "restore-near");
  const restore = await server.cli(["restore", String(p), "--pool", "near", "--target", target]);
  assert.equal(restore.status, 0, restore.stderr);
  assertSameTree(good, join(target, good), { root: false });
  const check = await server.cli(["media", "check", (await media(server)).find((m) => m.pool === "near")!.label, "--json"]);
  assert.equal(check.status, 0, check.stderr);
});

/** Starts a job and reads the server's job events until it ended. */
async function untilJobEnds(server: TestServer, start: () => Promise<number>): Promise<{ state: string; kind: string; message: string }> {
  const response = await fetch(`${server.url}/api/v1/events`, { headers: { authorization: `Bearer ${server.token}` } });
  const reader = response.body!.getReader();
  try {
    const id = await start();
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the event stream ended");
      text += Buffer.from(value).toString("utf8");
      for (const line of text.split("\n")) {
        if (!line.startsWith("data: ")) continue;
        const event = JSON.parse(line.slice(6)) as { job: { id: number; state: string; kind: string; message: string } };
        if (event.job.id === id && ["done", "failed", "aborted"].includes(event.job.state)) return event.job;
      }
    }
  } finally {
    await reader.cancel();
  }
}

test("compaction moves the live savesets off mostly-expired full media, which end expired, and they restore from the new medium", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  const path = await addPool(server, dir, "small", { mediumSize: 1024 * 1024, retentionDays: 0 });
  const src = (name: string): string => join(dir, `src-${name}`);
  makeTree(src("old"), 4, 500 * 1024);
  makeTree(src("live"), 1, 1000);
  makeTree(src("later"), 4, 500 * 1024);
  const backup = async (task: string, retentionDays: number): Promise<number> => {
    assert.equal((await server.api("POST", "/pools", { name: "small", retentionDays })).status, 201);
    assert.equal((await server.api("POST", "/tasks", { name: task, client: "localhost", paths: [src(task)], pool: "small" })).status, 201);
    const run = jsonOf<SavesetJson>(await server.cli(["backup", "--task", task, "--json"]));
    assert.equal(run.saveset.status, "complete", run.job.message);
    return run.saveset.id;
  };
  // Retention 0: "old" and "later" expire at once; "live" keeps 30 days, between them on a full volume.
  await backup("old", 0);
  const live = await backup("live", 30);
  await backup("later", 0);
  const [liveCopy] = copiesOf(server, live);
  const liveLabel = liveCopy!.labels[0]!;
  assert.equal((await media(server)).find((m) => m.label === liveLabel)?.state, "full", "the live saveset's volume was filled by the next backup");

  const fullBefore = (await media(server)).filter((m) => m.pool === "small" && m.state === "full").map((m) => m.label);
  const compacted = jsonOf<JobJson>(await server.cli(["compact", "--pool", "small", "--threshold", "0.9", "--json"]));
  assert.equal(compacted.job.state, "done", compacted.job.message);
  assert.equal(compacted.job.files, 1, compacted.job.message);
  const after = await media(server);
  // Every full volume held less live data than the threshold: all are freed.
  assert.ok(fullBefore.includes(liveLabel) && fullBefore.length > 1, fullBefore.join(", "));
  assert.deepEqual(after.filter((m) => fullBefore.includes(m.label)).map((m) => m.state), fullBefore.map(() => "expired"));
  const [moved] = copiesOf(server, live);
  assert.equal(copiesOf(server, live).length, 1);
  assert.notDeepEqual(moved!.labels, [liveLabel]);
  assert.deepEqual(moved!.pools, ["small"]);

  // The freed volume is gone: the live saveset restores from its new medium.
  rmSync(join(path, `${liveLabel}.reel`));
  await restoreSame(server, dir, live, src("live"));
});
