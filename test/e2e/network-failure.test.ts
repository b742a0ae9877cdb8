/**
 * Network backups under failure and load, with real processes: a client agent, a node or the
 * server killed in the middle of a stream; several backups multiplexed onto one volume.
 * After every failure the catalog stays consistent and the next backup works.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertSameTree, sh, tempDir } from "./helpers.js";
import { jsonOf, startDaemon, startServer, type TestServer } from "./server-helpers.js";

interface JobJson { id: number; state: string; bytes: number; message: string | null; saveset: number | null }
interface SavesetJson { id: number; status: string; files: number }

/** A tree with one big file, so that a backup takes long enough to be interrupted. */
function bigTree(root: string): void {
  mkdirSync(join(root, "small"), { recursive: true });
  for (let i = 0; i < 20; i++) writeFileSync(join(root, "small", `f${i}.txt`), `file ${i}\n`.repeat(i + 1));
  sh("head -c 256M /dev/zero > big.bin", root);
}

/** Starts a backup without waiting and resolves once the stream is under way. */
async function backupUnderWay(server: TestServer, task: string, client: string, path: string): Promise<JobJson> {
  const started = await server.api<JobJson>("POST", "/backups", { task, client, paths: [path] });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  for (;;) {
    const job = (await server.api<JobJson>("GET", `/jobs/${started.body.id}`)).body;
    if (job.bytes > 0 || job.state !== "queued" && job.state !== "running") return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function finished(server: TestServer, id: number): Promise<JobJson> {
  for (;;) {
    const job = (await server.api<JobJson>("GET", `/jobs/${id}`)).body;
    if (job.state !== "queued" && job.state !== "running") return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function enrolled(server: TestServer, kind: "node" | "client", name: string, dir: string): Promise<{ restart(): Promise<unknown>; kill(): void }> {
  const token = jsonOf<{ token: string }>(await server.cli(["token", "create", "--for", kind, "--name", name, "--json"])).token;
  let daemon = await startDaemon(testContext!, [kind, "--server", server.url, "--enroll", token, "--data", dir, "--name", name], /running/);
  return {
    kill: () => void daemon.child.kill("SIGKILL"),
    restart: async () => {
      daemon = await startDaemon(testContext!, [kind, "--server", server.url, "--data", dir, "--name", name], /running/);
      return daemon;
    },
  };
}
let testContext: import("node:test").TestContext | null = null;

test("a client agent killed in the middle of its stream: the job fails, the saveset is incomplete, the next backup works", async (t) => {
  testContext = t;
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  const client = await enrolled(server, "client", "victim", join(dir, "client"));
  const src = join(dir, "src");
  bigTree(src);
  const job = await backupUnderWay(server, "big", "victim", src);
  client.kill();
  const failed = await finished(server, job.id);
  assert.equal(failed.state, "failed");
  assert.match(failed.message ?? "", /client|closed|connection|cut short/i);
  const broken = (await server.api<SavesetJson>("GET", `/savesets/${failed.saveset}`)).body;
  assert.equal(broken.status, "incomplete");

  await client.restart();
  const again = jsonOf<{ saveset: SavesetJson; job: JobJson }>(await server.cli(["backup", "--task", "big", "--json"]));
  assert.equal(again.job.state, "done", again.job.message ?? "");
  const target = join(dir, "restore");
  const restored = await server.cli(["restore", String(again.saveset.id), "--target", target]);
  assert.equal(restored.status, 0, restored.stderr);
  assertSameTree(src, join(target, src), { root: false });
});

test("a node killed in the middle of a stream: the job fails with the node named, the next backup works", async (t) => {
  testContext = t;
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"), ["--no-embedded"]);
  const node = await enrolled(server, "node", "local", join(dir, "node"));
  await enrolled(server, "client", "localhost", join(dir, "client"));
  const src = join(dir, "src");
  bigTree(src);
  const job = await backupUnderWay(server, "big", "localhost", src);
  node.kill();
  const failed = await finished(server, job.id);
  assert.equal(failed.state, "failed");
  assert.match(failed.message ?? "", /node|connection|closed/i);
  assert.equal((await server.api<SavesetJson>("GET", `/savesets/${failed.saveset}`)).body.status, "incomplete");

  await node.restart();
  const again = jsonOf<{ saveset: SavesetJson; job: JobJson }>(await server.cli(["backup", "--task", "big", "--json"]));
  assert.equal(again.job.state, "done", again.job.message ?? "");
  const target = join(dir, "restore");
  assert.equal((await server.cli(["restore", String(again.saveset.id), "--target", target])).status, 0);
  assertSameTree(src, join(target, src), { root: false });
});

test("a server killed during a backup marks the saveset incomplete when it starts again; earlier savesets still restore", async (t) => {
  testContext = t;
  const dir = tempDir(t);
  const data = join(dir, "var");
  let server = await startServer(t, data);
  const src = join(dir, "src");
  bigTree(src);
  const first = jsonOf<{ saveset: SavesetJson; job: JobJson }>(await server.cli(["backup", "--task", "small", "--json", join(src, "small")]));
  assert.equal(first.job.state, "done");
  await backupUnderWay(server, "big", "localhost", src);
  server.child.kill("SIGKILL");
  await new Promise((resolve) => server.child.once("exit", resolve));

  server = await startServer(t, data);
  const savesets = jsonOf<Array<{ id: number; task: string; status: string }>>(await server.cli(["savesets", "--json"]));
  assert.equal(savesets.find((s) => s.task === "big")?.status, "incomplete");
  const target = join(dir, "restore");
  assert.equal((await server.cli(["restore", String(first.saveset.id), "--target", target])).status, 0);
  assertSameTree(join(src, "small"), join(target, src, "small"), { root: false });
  const again = jsonOf<{ saveset: SavesetJson; job: JobJson }>(await server.cli(["backup", "--task", "big", "--json"]));
  assert.equal(again.job.state, "done", again.job.message ?? "");
});

test("four backups at once share one volume, their blocks interleaved; each restores byte for byte", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  const trees = [0, 1, 2, 3].map((i) => {
    const root = join(dir, `src${i}`);
    mkdirSync(join(root, "d"), { recursive: true });
    sh(`head -c ${20 + i}M /dev/urandom > big && for n in $(seq 1 50); do echo "tree ${i} file $n" > d/f$n; done`, root);
    return root;
  });
  const runs = await Promise.all(trees.map((root, i) => server.cli(["backup", "--task", `t${i}`, "--json", root])));
  const savesets = runs.map((run) => jsonOf<{ saveset: SavesetJson; job: JobJson }>(run));
  for (const s of savesets) assert.equal(s.job.state, "done", s.job.message ?? "");
  const media = (await server.api<Array<{ label: string; blocks: number }>>("GET", "/media")).body;
  assert.equal(media.length, 1, `one volume expected, got ${media.map((m) => m.label).join(", ")}`);
  for (const [i, s] of savesets.entries()) {
    const target = join(dir, `restore${i}`);
    assert.equal((await server.cli(["restore", String(s.saveset.id), "--target", target])).status, 0);
    assertSameTree(trees[i]!, join(target, trees[i]!), { root: false });
  }
});

test("a stream that fills its volume continues on the next one; the saveset restores across them", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  const set = await server.cli(["pool", "set", "default", "--medium-size", "4MiB", "--json"]);
  assert.equal(set.status, 0, set.stderr);
  const src = join(dir, "src");
  mkdirSync(src);
  sh("head -c 9M /dev/urandom > a.bin && head -c 3M /dev/urandom > b.bin && echo small > c.txt", src);
  const full = jsonOf<{ saveset: SavesetJson; job: JobJson }>(await server.cli(["backup", "--task", "span", "--json", src]));
  assert.equal(full.job.state, "done", full.job.message ?? "");
  const media = jsonOf<Array<{ label: string; state: string }>>(await server.cli(["media", "--json"]));
  assert.ok(media.length >= 3, `expected the stream to span volumes, got ${media.map((m) => m.label).join(", ")}`);
  assert.ok(media.filter((m) => m.state === "full").length >= 2);
  const target = join(dir, "restore");
  assert.equal((await server.cli(["restore", String(full.saveset.id), "--target", target])).status, 0);
  assertSameTree(src, join(target, src), { root: false });
  // One file from the middle: the node seeks into the right volume.
  const one = join(dir, "one");
  assert.equal((await server.cli(["restore", String(full.saveset.id), "--target", one, join(src, "c.txt")])).status, 0);
  assert.equal(sh(`cat '${join(one, src, "c.txt")}'`), "small\n");
});

test("a full disk under the drive: the job fails naming it, the saveset is incomplete, earlier savesets are untouched", { skip: process.geteuid?.() !== 0 ? "needs root to mount a small file system" : false }, async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "var");
  let server = await startServer(t, data);
  await server.stop();
  try {
    sh(`mount -t tmpfs -o size=24m tmpfs '${join(data, "media")}'`);
  } catch {
    t.skip("this machine does not let us mount a small file system");
    return;
  }
  t.after(() => void sh(`umount -l '${join(data, "media")}' || true`));
  server = await startServer(t, data);
  const src = join(dir, "src");
  mkdirSync(src);
  sh("head -c 1M /dev/urandom > small.bin", src);
  const first = jsonOf<{ saveset: SavesetJson; job: JobJson }>(await server.cli(["backup", "--task", "fits", "--json", src]));
  assert.equal(first.job.state, "done");
  sh("head -c 40M /dev/urandom > big.bin", src);
  const full = await server.cli(["backup", "--task", "fits", "--json"]);
  assert.notEqual(full.status, 0);
  const failed = JSON.parse(full.stdout) as { saveset: SavesetJson; job: JobJson };
  assert.equal(failed.job.state, "failed");
  assert.match(failed.job.message ?? "", /space|full/i);
  assert.equal(failed.saveset.status, "incomplete");
  const target = join(dir, "restore");
  assert.equal((await server.cli(["restore", String(first.saveset.id), "--target", target])).status, 0);
  assert.equal(sh(`cmp '${join(target, src, "small.bin")}' '${join(src, "small.bin")}' && echo same`), "same\n");
});
