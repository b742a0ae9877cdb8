import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

test("docs/errors.md lists exactly the error codes the code uses", () => {
  const used = new Set<string>();
  for (const file of sourceFiles(join(root, "src"))) {
    for (const m of readFileSync(file, "utf8").matchAll(/"((?:FORMAT|CLIENT|CLI|MEDIA|CATALOG|TRANSFER|SERVER|API|SCHEDULER)_[A-Z_]+)"/g)) used.add(m[1]!);
  }
  const documented = new Set([...readFileSync(join(root, "docs/errors.md"), "utf8").matchAll(/^\| `([A-Z]+_[A-Z_]+)` \|/gm)].map((m) => m[1]!));
  assert.deepEqual([...used].filter((c) => !documented.has(c)).sort(), [], "codes used but not in docs/errors.md");
  assert.deepEqual([...documented].filter((c) => !used.has(c)).sort(), [], "codes in docs/errors.md that the code no longer uses");
});
