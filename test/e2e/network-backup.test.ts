/**
 * Network backup end to end, with real processes: `reel server` (embedded node and client over
 * loopback TLS), then a separately started node and client agent that enroll with one-time
 * tokens. Back up, browse, restore, compare trees byte for byte with metadata.
 */
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertSameTree, sh, tempDir } from "./helpers.js";
import { jsonOf, startDaemon, startServer } from "./server-helpers.js";

interface SavesetJson { saveset: { id: number; level: string; status: string; files: number; bytes: number }; job: { state: string; message: string } }

function makeTree(root: string): void {
  mkdirSync(join(root, "docs", "empty"), { recursive: true });
  mkdirSync(join(root, "src", "deep", "deeper"), { recursive: true });
  writeFileSync(join(root, "docs", "readme.txt"), "hello\n");
  writeFileSync(join(root, "src", "big.bin"), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
  writeFileSync(join(root, "src", "deep", "deeper", "leaf.c"), "int main() { return 0; }\n");
  writeFileSync(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x6e, 0xff, 0x2e, 0x74])]), "not utf-8 name");
  symlinkSync("docs/readme.txt", join(root, "link"));
  sh("truncate -s 5M sparse && printf x >> sparse && ln src/deep/deeper/leaf.c hard && mkfifo fifo && chmod 4755 src/big.bin", root);
}

test("one box: full and incremental backup through the embedded node and client, browse, restore as of each saveset", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  const src = join(dir, "src");
  makeTree(src);

  const full = jsonOf<SavesetJson>(await server.cli(["backup", "--task", "home", "--json", src]));
  assert.equal(full.job.state, "done", full.job.message);
  assert.equal(full.saveset.level, "full");
  assert.equal(full.saveset.status, "complete");

  // Browse: the directory as backed up, names as raw bytes too.
  const top = jsonOf<Array<{ name: string; type: string; path64: string }>>(await server.cli(["ls", String(full.saveset.id), src, "--json"]));
  assert.deepEqual(top.map((f) => f.name).sort(), ["docs", "fifo", "hard", "link", "n\\xff.t", "sparse", "src"].sort());

  // Change the tree: modify, append, delete a file and a directory, add a file.
  writeFileSync(join(src, "docs", "readme.txt"), "changed\n");
  appendFileSync(join(src, "src", "big.bin"), "more");
  rmSync(join(src, "src", "deep"), { recursive: true });
  rmSync(join(src, "hard"));
  writeFileSync(join(src, "docs", "new.txt"), "new file\n");
  const incr = jsonOf<SavesetJson>(await server.cli(["backup", "--task", "home", "--level", "incr", "--json"]));
  assert.equal(incr.saveset.level, "incr");
  assert.equal(incr.saveset.status, "complete");
  assert.ok(incr.saveset.files < full.saveset.files, `the incremental wrote ${incr.saveset.files} entries, the full ${full.saveset.files}`);

  // As of the incremental: the deleted directory is gone from the browse view.
  const after = jsonOf<Array<{ name: string }>>(await server.cli(["ls", String(incr.saveset.id), join(src, "src"), "--json"]));
  assert.deepEqual(after.map((f) => f.name), ["big.bin"]);

  // Restore as of the incremental (full, then incr, deletions applied): equals the changed tree.
  const target = join(dir, "restore-incr");
  const restored = await server.cli(["restore", String(incr.saveset.id), "--target", target]);
  assert.equal(restored.status, 0, restored.stderr);
  assertSameTree(src, join(target, src), { root: false });

  // One file as of the full (its old content), by seeking; nothing else comes back.
  const one = join(dir, "restore-one");
  const single = await server.cli(["restore", String(full.saveset.id), "--target", one, join(src, "docs", "readme.txt")]);
  assert.equal(single.status, 0, single.stderr);
  assert.equal(sh(`cat '${join(one, src, "docs", "readme.txt")}'`), "hello\n");
  assert.equal(existsSync(join(one, src, "src")), false);

  // A hard link alone: the file it links to comes with it (its data lies there).
  const link = join(dir, "restore-link");
  const linked = await server.cli(["restore", String(full.saveset.id), "--target", link, join(src, "src", "deep", "deeper", "leaf.c")]);
  assert.equal(linked.status, 0, linked.stderr);
  assert.equal(sh(`cat '${join(link, src, "src", "deep", "deeper", "leaf.c")}'`), "int main() { return 0; }\n");
  assert.equal(sh(`stat -c %i '${join(link, src, "hard")}'`), sh(`stat -c %i '${join(link, src, "src", "deep", "deeper", "leaf.c")}'`));

  // A subtree as of the incremental: the unchanged file from the full, the changed one and the new one from the incr.
  const sub = join(dir, "restore-sub");
  const subtree = await server.cli(["restore", String(incr.saveset.id), "--target", sub, join(src, "docs")]);
  assert.equal(subtree.status, 0, subtree.stderr);
  assertSameTree(join(src, "docs"), join(sub, src, "docs"));
  assert.equal(existsSync(join(sub, src, "src")), false);
});

test("in-place restores: --overwrite never keeps a changed file, older replaces it only when older, always replaces it", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  const src = join(dir, "src");
  mkdirSync(src);
  writeFileSync(join(src, "a.txt"), "saved\n");
  sh("touch -d '2020-01-01' a.txt", src);
  const full = jsonOf<SavesetJson>(await server.cli(["backup", "--task", "inplace", "--json", src]));
  const file = join(src, "a.txt");
  writeFileSync(file, "changed later\n");
  assert.equal((await server.cli(["restore", String(full.saveset.id), "--in-place", "--overwrite", "never"])).status, 0);
  assert.equal(sh(`cat '${file}'`), "changed later\n");
  assert.equal((await server.cli(["restore", String(full.saveset.id), "--in-place", "--overwrite", "older"])).status, 0);
  assert.equal(sh(`cat '${file}'`), "changed later\n", "the file on disk is newer than the saved one");
  assert.equal((await server.cli(["restore", String(full.saveset.id), "--in-place", "--overwrite", "always"])).status, 0);
  assert.equal(sh(`cat '${file}'`), "saved\n");
  rmSync(file);
  assert.equal((await server.cli(["restore", String(full.saveset.id), "--in-place"])).status, 0);
  assert.equal(sh(`cat '${file}'`), "saved\n");
});

test("a task compressed with zstd writes far less to its volume and restores byte for byte", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  const src = join(dir, "src");
  mkdirSync(src);
  writeFileSync(join(src, "log.txt"), "2027-01-01 12:00:00 INFO backup of /home finished in 42 s\n".repeat(300_000));
  const full = jsonOf<SavesetJson>(await server.cli(["backup", "--task", "logs", "--compress", "zstd", "--compress-level", "3", "--json", src]));
  assert.equal(full.job.state, "done");
  const media = jsonOf<Array<{ bytesWritten: number }>>(await server.cli(["media", "--json"]));
  const written = media.reduce((n, m) => n + m.bytesWritten, 0);
  assert.ok(written < full.saveset.bytes / 5, `${written} bytes on media for ${full.saveset.bytes} bytes of data`);
  const target = join(dir, "restore");
  assert.equal((await server.cli(["restore", String(full.saveset.id), "--target", target])).status, 0);
  assertSameTree(src, join(target, src), { root: false });
});

test("a separate node and client enroll with one-time tokens and back up over mutual TLS", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"), ["--no-embedded"]);
  // The default drive belongs to node "local": the token names the node, so it needs no --name.
  const nodeToken = jsonOf<{ token: string }>(await server.cli(["token", "create", "--for", "node", "--name", "local", "--json"])).token;
  await startDaemon(t, ["node", "--server", server.url, "--enroll", nodeToken, "--data", join(dir, "node")], /running/);
  const clientToken = jsonOf<{ token: string }>(await server.cli(["token", "create", "--for", "client", "--name", "far", "--json"])).token;
  await startDaemon(t, ["client", "--server", server.url, "--enroll", clientToken, "--data", join(dir, "client"), "--name", "far"], /running/);
  // A token works once.
  const again = await startDaemon(t, ["client", "--server", server.url, "--enroll", clientToken, "--data", join(dir, "client2"), "--name", "far"], /running/).then(() => null, (error: Error) => error);
  assert.match(String(again?.message), /unknown, used or expired/);

  const src = join(dir, "src");
  makeTree(src);
  const full = jsonOf<SavesetJson>(await server.cli(["backup", "--task", "far-home", "--client", "far", "--json", src]));
  assert.equal(full.job.state, "done", full.job.message);
  const target = join(dir, "restore");
  const restored = await server.cli(["restore", String(full.saveset.id), "--target", target]);
  assert.equal(restored.status, 0, restored.stderr);
  assertSameTree(src, join(target, src), { root: false });
  const clients = jsonOf<Array<{ name: string; connected: boolean }>>(await server.cli(["clients", "--json"]));
  assert.deepEqual(clients.filter((c) => c.connected).map((c) => c.name), ["far"]);
});

test("the API: health without a token, 401 without one elsewhere, 403 for a viewer starting a job, 400 naming the field", async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, join(dir, "var"));
  assert.equal((await server.api("GET", "/health", undefined, null)).status, 200);
  const doc = await server.api<{ openapi: string; paths: Record<string, unknown> }>("GET", "/openapi.json", undefined, null);
  assert.equal(doc.body.openapi, "3.1.0");
  assert.ok("/api/v1/backups" in doc.body.paths);
  const anonymous = await server.api<{ error: { code: string } }>("GET", "/jobs", undefined, null);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.error.code, "API_UNAUTHORIZED");
  assert.equal((await server.api("GET", "/jobs", undefined, "reel_wrong")).status, 401);
  const viewer = jsonOf<{ token: string }>(await server.cli(["token", "create", "--for", "api", "--role", "viewer", "--json"])).token;
  assert.equal((await server.api("GET", "/savesets", undefined, viewer)).status, 200);
  const forbidden = await server.api<{ error: { code: string } }>("POST", "/backups", { task: "x" }, viewer);
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body.error.code, "API_FORBIDDEN");
  const bad = await server.api<{ error: { code: string; message: string } }>("POST", "/backups", { task: 5 });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /task/);
  const unknownField = await server.api<{ error: { message: string } }>("POST", "/backups", { task: "x", colour: "red" });
  assert.equal(unknownField.status, 400);
  const cli = await server.cli(["backup", "--task", "nothing-here"]);
  assert.equal(cli.status, 2);
  assert.match(cli.stderr, /No task "nothing-here"/);
});
