/**
 * Checks the layering of src/ against docs/architecture.md (STYLE §1, §2; DESIGN §11): the
 * allowed-imports table, imports through index.ts only, index.ts opening comments, and the
 * purity of the PURE folders. Imports are read with the TypeScript parser, so multi-line,
 * type-only, re-export, dynamic and worker-URL (`new URL("./x.js", import.meta.url)`) imports
 * all count.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { sourceFiles } from "./source-files.js";
import ts from "typescript";

const root = fileURLToPath(new URL("../../", import.meta.url));
const srcDir = join(root, "src");
const tablePath = "docs/architecture.md";

/** STYLE §2.1: folders that import no node:* module and touch no Node global, clock or random source. */
const PURE_FOLDERS = ["src/format", "src/scheduler/calendar", "src/transfer/wire", "src/api"];
/** Non-test files in pure folders that hold test doubles and so may import the test runner. */
const PURE_TEST_SUPPORT = new Set(["src/format/testing-codecs.ts"]);
const TEST_RUNNER_MODULES = new Set(["node:test", "node:assert", "node:assert/strict"]);

const rel = (path: string): string => relative(root, path).split(sep).join("/");
const isTestFile = (path: string): boolean => path.endsWith(".test.ts");

function failIfAny(problems: string[], heading: string): void {
  if (problems.length > 0) assert.fail(`${heading} (${problems.length}):\n  ${problems.join("\n  ")}`);
}

function srcFolders(): string[] {
  return readdirSync(srcDir)
    .filter((name) => statSync(join(srcDir, name)).isDirectory())
    .sort()
    .map((name) => `src/${name}`);
}

interface Table {
  rows: Map<string, string[]>;
  problems: string[];
}

/** Parses the `| folder | may import |` rows of docs/architecture.md. */
function readTable(): Table {
  const rows = new Map<string, string[]>();
  const problems: string[] = [];
  readFileSync(join(root, tablePath), "utf8")
    .split("\n")
    .forEach((line, i) => {
      const match = /^\|\s*`?(src\/[^|`\s]+)`?\s*\|\s*([^|]*?)\s*\|\s*$/.exec(line);
      if (match === null) return;
      const folder = match[1]!;
      const cell = match[2]!;
      const targets = cell === "(nothing)" ? [] : cell.split(",").map((item) => item.trim().replace(/`/g, ""));
      for (const target of targets) {
        if (!/^src\/[a-z][a-z0-9-]*$/.test(target)) problems.push(`${tablePath}:${i + 1}: "${target}" in the row of ${folder} is not a folder like src/name`);
      }
      if (rows.has(folder)) problems.push(`${tablePath}:${i + 1}: a second row for ${folder}`);
      rows.set(folder, targets);
    });
  if (rows.size === 0) problems.push(`${tablePath} has no "| src/<folder> | <may import> |" rows`);
  return { rows, problems };
}

interface ImportSite {
  line: number;
  specifier: string;
}

/** Every module specifier a file names: import/export … from, import "x", import(), import x = require(), worker URLs. */
function importsOf(path: string): ImportSite[] {
  const file = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const sites: ImportSite[] = [];
  const add = (node: ts.Node | undefined): void => {
    if (node !== undefined && ts.isStringLiteralLike(node)) {
      sites.push({ line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1, specifier: node.text });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isNewExpression(node) && node.expression.getText(file) === "URL" && node.arguments?.[1]?.getText(file) === "import.meta.url") {
      add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return sites;
}

/** `src/<name>` for a path inside src/, otherwise the path relative to the repository root. */
function folderOf(repoPath: string): string {
  const parts = repoPath.split("/");
  return parts[0] === "src" && parts.length > 2 ? `src/${parts[1]}` : repoPath;
}

test("docs/architecture.md has a row for every folder under src/, and its table is consistent and acyclic", () => {
  const { rows, problems } = readTable();
  for (const folder of srcFolders()) {
    if (!rows.has(folder)) problems.push(`${folder} has no row in ${tablePath}: add "| ${folder} | <folders it may import> |"`);
  }
  for (const [folder, targets] of rows) {
    for (const target of targets) {
      if (target === folder) problems.push(`${folder} lists itself`);
      else if (!rows.has(target)) problems.push(`${folder} may import ${target}, which has no row`);
    }
  }
  const state = new Map<string, "visiting" | "done">();
  const visit = (folder: string, path: string[]): void => {
    if (state.get(folder) === "done") return;
    if (state.get(folder) === "visiting") {
      problems.push(`the arrows form a cycle: ${[...path.slice(path.indexOf(folder)), folder].join(" → ")}`);
      return;
    }
    state.set(folder, "visiting");
    for (const target of rows.get(folder) ?? []) visit(target, [...path, folder]);
    state.set(folder, "done");
  };
  for (const folder of rows.keys()) visit(folder, []);
  failIfAny(problems, `${tablePath}: the allowed-imports table is incomplete or inconsistent`);
});

test("every import in src/ is allowed by docs/architecture.md and goes through the target's index.ts", () => {
  const { rows } = readTable();
  const problems: string[] = [];
  for (const path of sourceFiles(srcDir)) {
    const file = rel(path);
    const from = folderOf(file);
    for (const { line, specifier } of importsOf(path)) {
      if (!specifier.startsWith(".")) continue;
      const resolved = rel(resolve(dirname(path), specifier));
      const target = folderOf(resolved);
      if (target === from) continue;
      const where = `${file}:${line}: import "${specifier}"`;
      if (!target.startsWith("src/")) problems.push(`${where} reaches ${resolved}, outside src/`);
      else if (!(rows.get(from) ?? []).includes(target)) {
        const allowed = rows.get(from);
        problems.push(`${where}: ${from} may not import ${target} (its row allows ${allowed === undefined ? "nothing: there is no row" : allowed.join(", ") || "(nothing)"})`);
      } else if (resolved !== `${target}/index.js`) {
        problems.push(`${where}: import ${target} through its index.ts ("${relative(dirname(file), target)}/index.js"), not a file inside it`);
      }
    }
  }
  failIfAny(problems, `imports that break the allowed-imports table of ${tablePath}`);
});

test("every folder that others may import has an index.ts opening with a comment that says what it may import", () => {
  const { rows } = readTable();
  const imported = new Set([...rows.values()].flat());
  const problems: string[] = [];
  for (const folder of srcFolders()) {
    // Folders no row may import (cli, server, web) are entry points: they have a main.ts, not an index.ts.
    if (!imported.has(folder)) continue;
    const indexPath = join(root, folder, "index.ts");
    let text: string;
    try {
      text = readFileSync(indexPath, "utf8");
    } catch {
      problems.push(`${folder} has no index.ts: siblings import a component only through it (STYLE §1)`);
      continue;
    }
    const opening = /^(\/\*\*?[\s\S]*?\*\/|(?:\/\/.*\n)+)/.exec(text);
    if (opening === null) problems.push(`${folder}/index.ts does not open with a comment saying what the component is and what it may import`);
    else if (!/import/i.test(opening[0])) problems.push(`${folder}/index.ts: its opening comment does not say what the component may import`);
  }
  failIfAny(problems, "components without a proper index.ts (STYLE §1)");
});

/** Uses of Node globals, the clock or a random source in a file (STYLE §2.1). */
function impureUses(path: string): Array<{ line: number; what: string }> {
  const file = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const found: Array<{ line: number; what: string }> = [];
  const at = (node: ts.Node, what: string): void => {
    found.push({ line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1, what });
  };
  const globals = new Set(["Buffer", "process", "global", "require", "__dirname", "__filename", "setTimeout", "setInterval", "setImmediate"]);
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && globals.has(node.text) && !isPropertyName(node)) at(node, node.text);
    else if (ts.isPropertyAccessExpression(node)) {
      const text = node.getText(file).replace(/\s/g, "");
      if (/^(globalThis\.)?(Date\.now|Math\.random|performance\.now|crypto\.\w+)$/.test(text)) at(node, text);
    } else if (ts.isNewExpression(node) && node.expression.getText(file) === "Date" && (node.arguments?.length ?? 0) === 0) at(node, "new Date()");
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Whether an identifier is a property or member name (`x.process`, `{ process: 1 }`) rather than a global. */
function isPropertyName(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent)) return parent.name === node;
  if (ts.isQualifiedName(parent)) return parent.right === node;
  return (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessor(parent) ||
      ts.isSetAccessor(parent)) &&
    parent.name === node
  );
}

test("PURE folders import no node:* module and use no Buffer, process, clock or random source", () => {
  const problems: string[] = [];
  for (const folder of PURE_FOLDERS) {
    let files: string[];
    try {
      files = sourceFiles(join(root, folder));
    } catch {
      continue; // a planned folder that does not exist yet
    }
    for (const path of files) {
      const file = rel(path);
      const mayUseTestRunner = isTestFile(file) || PURE_TEST_SUPPORT.has(file);
      for (const { line, specifier } of importsOf(path)) {
        if (!specifier.startsWith("node:")) continue;
        if (mayUseTestRunner && TEST_RUNNER_MODULES.has(specifier)) continue;
        problems.push(`${file}:${line}: imports "${specifier}"; ${folder} is PURE (only tests may import node:test and node:assert)`);
      }
      // Tests run under Node and may build Buffers to check that the format copes with them.
      if (isTestFile(file)) continue;
      for (const { line, what } of impureUses(path)) {
        problems.push(`${file}:${line}: uses ${what}; ${folder} is PURE: take bytes, time and randomness as arguments`);
      }
    }
  }
  failIfAny(problems, "PURE folders that reach for Node or the outside world (STYLE §2.1)");
});
