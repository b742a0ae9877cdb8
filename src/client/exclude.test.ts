import assert from "node:assert/strict";
import { test } from "node:test";
import { ExcludeMatcher } from "./exclude.js";

const m = (patterns: string[], path: string): boolean => new ExcludeMatcher(patterns).matches(Buffer.from(path), Buffer.from(path.split("/").pop()!));

test("ExcludeMatcher matches basenames for patterns without a slash, like tar", () => {
  assert.equal(m(["*.o"], "src/a/x.o"), true);
  assert.equal(m(["*.o"], "src/a/x.c"), false);
  assert.equal(m(["node_modules"], "app/node_modules"), true);
  assert.equal(m(["cache?"], "cache1"), true);
  assert.equal(m(["[ab].txt"], "dir/b.txt"), true);
  assert.equal(m(["[!ab].txt"], "dir/b.txt"), false);
});

test("ExcludeMatcher matches patterns with a slash against path tails at component boundaries", () => {
  assert.equal(m(["a/tmp"], "root/a/tmp"), true);
  assert.equal(m(["a/tmp"], "root/ba/tmp"), false);
  assert.equal(m(["./build/*.log"], "build/x.log"), true);
});
