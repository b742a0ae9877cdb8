/**
 * Mirror chains (the patent's Fig. 2) on real processes: the server with its embedded node and
 * two more node processes; three sources backed up at once through a backup stage of two media
 * agents and two mirror stages, a buffer of agent 126 feeding agent 140 and another agent 141
 * (the crossing); every saveset restorable from each stage, and from the mirrors when the
 * backup stage's medium is damaged.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { assertSameTree, flipByte, sh, tempDir } from "./helpers.js";
import { jsonOf, startDaemon, startServer, type TestServer } from "./server-helpers.js";

interface JobJson { id: number; state: string; message: string | null; saveset: number | null }
interface CopyJson { pool: string; drive: string; node: string; media: string[]; blocks: number }

const BLOCK = 256 * 1024;

async function enrollNode(t: TestContext, server: TestServer, name: string, dir: string): Promise<{ kill(): void }> {
  const token = jsonOf<{ token: string }>(await server.cli(["token", "create", "--for", "node", "--name", name, "--json"])).token;
  const daemon = await startDaemon(t, ["node", "--server", server.url, "--enroll", token, "--data", dir, "--name", name], /running/);
  return { kill: () => void daemon.child.kill("SIGKILL") };
}

async function finished(server: TestServer, id: number): Promise<JobJson> {
  for (;;) {
    const job = (await server.api<JobJson>("GET", `/jobs/${id}`)).body;
    if (job.state !== "queued" && job.state !== "running") return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function ok<T>(server: TestServer, method: string, path: string, body?: unknown): Promise<T> {
  const reply = await server.api<T>(method, path, body);
  assert.ok(reply.status >= 200 && reply.status < 300, `${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

function source(dir: string, i: number): string {
  const root = join(dir, `source${i}`);
  mkdirSync(join(root, "docs"), { recursive: true });
  sh(`head -c ${6 + 2 * i}M /dev/urandom > data.bin`, root);
  for (let n = 0; n < 40; n++) writeFileSync(join(root, "docs", `note${n}.txt`), `source ${i} note ${n}\n`.repeat(n + 1));
  return root;
}

/** Flips a byte in the payload of every `every`-th block of each volume file under `dir`. */
function damageVolumes(dir: string, every: number): number {
  let flipped = 0;
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".reel"))) {
    const file = join(dir, name);
    const blocks = Math.floor(statSync(file).size / BLOCK);
    for (let b = 1; b < blocks; b += every) {
      flipByte(file, b * BLOCK + 4000);
      flipped++;
    }
  }
  return flipped;
}

test("Fig. 2: three sources, two backup-stage agents, two mirror stages with the crossing; every saveset restores from each stage and from the mirrors when the primary is damaged", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  await enrollNode(t, server, "east", join(dir, "east"));
  await enrollNode(t, server, "west", join(dir, "west"));
  const drive = (name: string, node: string, group: string, channels = 4): Promise<unknown> =>
    ok(server, "POST", "/drives", { name, node, kind: "dir", path: join(dir, "media", name), channels, driveGroup: group });
  // Backup stage: agents 126 and 127; mirror stage 1: agents 140 (one channel) and 141; mirror stage 2: agent 150.
  await drive("agent126", "local", "backup-stage");
  await drive("agent127", "east", "backup-stage");
  await drive("agent140", "west", "mirror-stage-1", 1);
  await drive("agent141", "local", "mirror-stage-1");
  await drive("agent150", "east", "mirror-stage-2");
  for (const [pool, group] of [["backup", "backup-stage"], ["mirror1", "mirror-stage-1"], ["mirror2", "mirror-stage-2"]]) {
    await ok(server, "POST", "/pools", { name: pool, driveGroup: group });
  }
  const sources = [1, 2, 3].map((i) => source(dir, i));
  for (const [i, root] of sources.entries()) {
    const set = await server.cli(["task", "set", `source${i + 1}`, root, "--client", "localhost", "--pool", "backup", "--mirror", "mirror1", "--mirror", "mirror2", "--json"]);
    assert.equal(set.status, 0, set.stderr);
  }
  // Mirroring is selective: a task without mirror pools gets one copy.
  const plainRoot = source(dir, 4);
  await ok(server, "POST", "/tasks", { name: "plain", client: "localhost", paths: [plainRoot], pool: "backup" });

  // The three streams run at once, spread over the backup stage's agents.
  const started: JobJson[] = [];
  for (const name of ["source1", "source2", "source3"]) started.push(await ok<JobJson>(server, "POST", "/backups", { task: name }));
  const jobs = await Promise.all(started.map((job) => finished(server, job.id)));
  for (const job of jobs) assert.equal(job.state, "done", job.message ?? "");
  const plain = await finished(server, (await ok<JobJson>(server, "POST", "/backups", { task: "plain" })).id);
  assert.equal(plain.state, "done", plain.message ?? "");

  const routes = await Promise.all(jobs.map(async (job) => jsonOf<CopyJson[]>(await server.cli(["copies", String(job.saveset), "--json"]))));
  const drivesOf = (copies: CopyJson[]): string[] => ["backup", "mirror1", "mirror2"].map((pool) => copies.find((c) => c.pool === pool)?.drive ?? "none");
  assert.deepEqual(routes.map(drivesOf), [
    ["agent126", "agent140", "agent150"],
    ["agent127", "agent141", "agent150"],
    // The crossing: agent 126's second stream goes on to agent 141 (agent 140 has one channel, busy).
    ["agent126", "agent141", "agent150"],
  ]);
  for (const copies of routes) {
    assert.equal(new Set(copies.map((c) => c.blocks)).size, 1, `every stage holds the same stream: ${JSON.stringify(copies)}`);
  }
  assert.equal(jsonOf<CopyJson[]>(await server.cli(["copies", String(plain.saveset), "--json"])).length, 1);
  // The last stage multiplexed all three streams onto one volume.
  assert.equal(new Set(routes.map((copies) => copies.find((c) => c.pool === "mirror2")!.media.join())).size, 1);

  for (const [i, job] of jobs.entries()) {
    for (const pool of ["backup", "mirror1", "mirror2"]) {
      const target = join(dir, "restore", pool, String(i));
      const run = await server.cli(["restore", String(job.saveset), "--target", target, "--pool", pool]);
      assert.equal(run.status, 0, `saveset ${job.saveset} from ${pool}: ${run.stderr}`);
      assertSameTree(sources[i]!, join(target, sources[i]!), { root: false });
    }
  }

  // Damage the backup stage's media: the restore reads the damaged ranges from the mirrors
  // (agent 141 on the same node, agent 140 on another).
  assert.ok(damageVolumes(join(dir, "media", "agent126"), 5) > 3);
  assert.ok(damageVolumes(join(dir, "media", "agent127"), 5) > 3);
  for (const [i, job] of jobs.entries()) {
    const only = await server.cli(["restore", String(job.saveset), "--target", join(dir, "only-primary", String(i)), "--pool", "backup"]);
    assert.notEqual(only.status, 0, `the damaged copy alone cannot restore saveset ${job.saveset}: ${only.stdout}`);
    assert.match(only.stderr, /damaged/);
    const target = join(dir, "repaired", String(i));
    const run = await server.cli(["restore", String(job.saveset), "--target", target]);
    assert.equal(run.status, 0, `saveset ${job.saveset} with its primary damaged: ${run.stderr}`);
    assertSameTree(sources[i]!, join(target, sources[i]!), { root: false });
  }
});

test("a mirror stage that dies during the backup: the saveset is complete on the backup stage, the job fails naming the mirror", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  const west = await enrollNode(t, server, "west", join(dir, "west"));
  await ok(server, "POST", "/drives", { name: "mirror-disk", node: "west", kind: "dir", path: join(dir, "media", "mirror"), driveGroup: "mirror" });
  await ok(server, "POST", "/pools", { name: "mirror", driveGroup: "mirror" });
  const root = join(dir, "src");
  mkdirSync(root);
  sh("head -c 200M /dev/zero > big.bin && echo hello > small.txt", root);
  await ok(server, "POST", "/tasks", { name: "mirrored", client: "localhost", paths: [root], mirrors: ["mirror"] });
  const job = await ok<JobJson>(server, "POST", "/backups", { task: "mirrored" });
  for (;;) {
    const now = (await server.api<{ bytes: number; state: string }>("GET", `/jobs/${job.id}`)).body;
    if (now.bytes > 0 || now.state !== "running" && now.state !== "queued") break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  west.kill();
  const ended = await finished(server, job.id);
  assert.equal(ended.state, "failed");
  assert.match(ended.message ?? "", /mirror to pool "mirror" on node "west" failed/);
  const saveset = (await server.api<{ status: string }>("GET", `/savesets/${ended.saveset}`)).body;
  assert.equal(saveset.status, "complete");
  const target = join(dir, "restore");
  const run = await server.cli(["restore", String(ended.saveset), "--target", target]);
  assert.equal(run.status, 0, run.stderr);
  assertSameTree(root, join(target, root), { root: false });
});
