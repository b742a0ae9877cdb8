import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const src = join(root, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** The allowed-imports table of docs/architecture.md: folder → folders it may import. */
function allowedImports(): Map<string, Set<string>> {
  const text = readFileSync(join(root, "docs/architecture.md"), "utf8");
  const table = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    const m = /^\| (src\/[a-z]+) \| (.*) \|$/.exec(line);
    if (m === null) continue;
    table.set(m[1]!, new Set(m[2]!.split(",").map((s) => s.trim()).filter((s) => s.startsWith("src/"))));
  }
  return table;
}

const folderOf = (file: string): string => relative(root, file).split("/").slice(0, 2).join("/");

function imports(file: string): Array<{ line: number; specifier: string }> {
  const out: Array<{ line: number; specifier: string }> = [];
  readFileSync(file, "utf8").split("\n").forEach((text, i) => {
    for (const m of text.matchAll(/(?:import|export)\s[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|new URL\(\s*["'](\.[^"']+)["']/g)) {
      out.push({ line: i + 1, specifier: m[1] ?? m[2] ?? m[3]! });
    }
  });
  return out;
}

test("every import in src/ follows the allowed-imports table of docs/architecture.md", () => {
  const table = allowedImports();
  const problems: string[] = [];
  for (const folder of readdirSync(src)) {
    if (statSync(join(src, folder)).isDirectory() && !table.has(`src/${folder}`)) problems.push(`src/${folder} has no row in docs/architecture.md`);
  }
  for (const file of sourceFiles(src)) {
    const from = folderOf(file);
    for (const { line, specifier } of imports(file)) {
      if (!specifier.startsWith(".")) continue;
      const target = folderOf(join(file, "..", specifier));
      if (target === from) continue;
      if (!table.get(from)?.has(target)) problems.push(`${relative(root, file)}:${line} imports ${target} ("${specifier}"), which ${from} may not import`);
      else if (!/\/index\.js$/.test(specifier)) problems.push(`${relative(root, file)}:${line} imports "${specifier}": import ${target} through its index.ts`);
    }
  }
  assert.deepEqual(problems, []);
});

test("src/format is pure: no node:* modules, no Buffer, no process, no clock", () => {
  const problems: string[] = [];
  for (const file of sourceFiles(join(src, "format"))) {
    const isTest = file.endsWith(".test.ts");
    const text = readFileSync(file, "utf8");
    for (const { line, specifier } of imports(file)) {
      if (specifier.startsWith("node:") && !(isTest && /^node:(test|assert)/.test(specifier))) problems.push(`${relative(root, file)}:${line} imports ${specifier}`);
    }
    if (isTest) continue;
    text.split("\n").forEach((t, i) => {
      const code = t.replace(/\/\*.*?\*\//g, "").replace(/\/\/.*$/, "").replace(/^\s*\*.*$/, "");
      if (/\bBuffer\b|\bprocess\.|Date\.now\(|new Date\(\)/.test(code)) problems.push(`${relative(root, file)}:${i + 1} uses a Node global or the clock`);
    });
  }
  assert.deepEqual(problems, []);
});

test("each component's index.ts opens with a comment saying what it is and what it may import", () => {
  const problems: string[] = [];
  for (const folder of readdirSync(src)) {
    const index = join(src, folder, "index.ts");
    let text: string;
    try {
      text = readFileSync(index, "utf8");
    } catch {
      if (folder !== "cli") problems.push(`src/${folder} has no index.ts`);
      continue;
    }
    if (!text.startsWith("/**")) problems.push(`src/${folder}/index.ts does not open with a comment`);
  }
  assert.deepEqual(problems, []);
});
