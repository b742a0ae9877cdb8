/**
 * The virtual tape library through the server, on real processes: a stream that reaches the end
 * of a tape goes on on the next one (a span in the catalog), restores read across the tapes, and
 * a saveset with a copy on disk and one on tape is read from disk first, from tape when the disk
 * copy is gone.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertSameTree, sh, tempDir } from "./helpers.js";
import { jsonOf, startServer, type TestServer } from "./server-helpers.js";

interface CopyJson { pool: string; drive: string; kind: string; media: string[]; blocks: number }
interface MediumJson { label: string; pool: string; drive: string; state: string; blocks: number }

async function ok<T>(server: TestServer, method: string, path: string, body?: unknown): Promise<T> {
  const reply = await server.api<T>(method, path, body);
  assert.ok(reply.status >= 200 && reply.status < 300, `${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

test("a vtl drive: a stream spans tapes, restores read across them; disk is read before tape, tape when the disk copy is gone", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  const tapeSize = 4 * 1024 * 1024;
  const set = await server.cli(["drive", "set", "library", "--node", "local", "--kind", "vtl", "--path", join(dir, "library"), "--group", "tape", "--option", "slots=6", "--option", "drives=2", "--option", `tapeSize=${tapeSize}`]);
  assert.equal(set.status, 0, set.stderr);
  await ok(server, "POST", "/pools", { name: "tapes", driveGroup: "tape" });
  const root = join(dir, "src");
  mkdirSync(join(root, "etc"), { recursive: true });
  sh("head -c 9M /dev/urandom > big.bin", root);
  for (let i = 0; i < 30; i++) writeFileSync(join(root, "etc", `conf${i}`), `setting ${i}\n`);

  // Backup stage on disk, mirror on tape.
  assert.equal((await server.cli(["task", "set", "both", root, "--client", "localhost", "--pool", "default", "--mirror", "tapes"])).status, 0);
  const backup = jsonOf<{ saveset: { id: number }; job: { state: string; message: string } }>(await server.cli(["backup", "--task", "both", "--json"]));
  assert.equal(backup.job.state, "done", backup.job.message);
  const copies = jsonOf<CopyJson[]>(await server.cli(["copies", String(backup.saveset.id), "--json"]));
  assert.deepEqual(copies.map((c) => [c.pool, c.kind]), [["default", "dir"], ["tapes", "vtl"]], "disk first, then tape");
  const tapes = copies[1]!.media;
  assert.ok(tapes.length >= 3, `9 MiB on 4 MiB tapes spans at least three: ${tapes.join(", ")}`);
  const media = jsonOf<MediumJson[]>(await server.cli(["media", "list", "--pool", "tapes", "--json"]));
  assert.ok(media.filter((m) => tapes.includes(m.label)).every((m) => m.blocks <= tapeSize / (256 * 1024)), JSON.stringify(media));

  const fromTape = join(dir, "from-tape");
  const run = await server.cli(["restore", String(backup.saveset.id), "--target", fromTape, "--pool", "tapes"]);
  assert.equal(run.status, 0, run.stderr);
  assertSameTree(root, join(fromTape, root), { root: false });

  // The disk copy is lost: the restore reads the stream from tape instead.
  for (const name of readdirSync(join(dir, "var", "media"))) rmSync(join(dir, "var", "media", name));
  const fallback = join(dir, "fallback");
  const again = await server.cli(["restore", String(backup.saveset.id), "--target", fallback]);
  assert.equal(again.status, 0, again.stderr);
  assertSameTree(root, join(fallback, root), { root: false });
});
