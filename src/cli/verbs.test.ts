import assert from "node:assert/strict";
import { test } from "node:test";
import { Command } from "commander";
import type { CliContext } from "./context.js";
import { addVerbs, VERB_GROUPS } from "./verbs.js";

const ctx: CliContext = {
  env: {}, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), now: () => new Date(0), nowMs: () => 0,
  randomId: () => new Uint8Array(16), isRoot: false, threads: 1, exit: () => undefined,
};

const names = (program: Command): string[] => program.commands.map((c) => c.name());

test("every verb group adds exactly the verbs it is looked up by, so a verb run alone finds its command", async () => {
  for (const group of VERB_GROUPS) {
    const program = new Command("reel");
    await addVerbs(program, ctx, group.verbs[group.verbs.length - 1]);
    assert.deepEqual(names(program), group.verbs);
  }
});

test("help and unknown verbs get every verb once, in the order of the groups", async () => {
  for (const verb of [undefined, "--help", "lss"]) {
    const program = new Command("reel");
    await addVerbs(program, ctx, verb);
    assert.deepEqual(names(program), VERB_GROUPS.flatMap((group) => group.verbs));
    assert.equal(new Set(names(program)).size, names(program).length);
  }
});
