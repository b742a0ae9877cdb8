/**
 * Checks that docs/errors.md lists exactly the error codes of src/ (STYLE §4), each under the
 * section of its component with a meaning and an action. A code counts as used when it is a
 * string literal in a `src/**\/errors.ts` (the code unions), or the first argument of
 * `new ReelError(…)`, of a component's `…Error(…)` builder (`formatError`, `clientError`) or of
 * `isReelError(value, …)` anywhere in src/ outside tests.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { sourceFiles } from "./source-files.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const docPath = "docs/errors.md";
const CODE = String.raw`[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]`;

/** Every code the code base uses, with the first place it is used (file:line). */
function usedCodes(): Map<string, string> {
  const used = new Map<string, string>();
  const inUnion = new RegExp(`"(${CODE})"`, "g");
  const inCall = new RegExp(String.raw`(?:\bnew\s+ReelError|\b[a-z]\w*Error|\bisReelError\([^,()]*,)\s*\(?\s*"(${CODE})"`, "g");
  for (const path of sourceFiles(join(root, "src")).filter((p) => !p.endsWith(".test.ts"))) {
    const file = relative(root, path).split(sep).join("/");
    const text = readFileSync(path, "utf8");
    const pattern = file.endsWith("/errors.ts") ? inUnion : inCall;
    for (const match of text.matchAll(pattern)) {
      const line = text.slice(0, match.index + match[0].lastIndexOf('"')).split("\n").length;
      if (!used.has(match[1]!)) used.set(match[1]!, `${file}:${line}`);
    }
  }
  return used;
}

interface DocumentedCode {
  line: number;
  section: string;
  cells: string[];
}

/** The `| \`CODE\` | meaning | what to do |` rows of docs/errors.md, with the `##` section each is in. */
function documentedCodes(): { codes: Map<string, DocumentedCode>; problems: string[] } {
  const codes = new Map<string, DocumentedCode>();
  const problems: string[] = [];
  let section = "";
  readFileSync(join(root, docPath), "utf8")
    .split("\n")
    .forEach((text, i) => {
      if (text.startsWith("## ")) section = text.slice(3);
      const match = new RegExp(String.raw`^\|\s*\x60(${CODE})\x60\s*\|(.*)\|\s*$`).exec(text);
      if (match === null) return;
      const code = match[1]!;
      if (codes.has(code)) problems.push(`${docPath}:${i + 1}: ${code} is listed twice`);
      codes.set(code, { line: i + 1, section, cells: match[2]!.split("|").map((cell) => cell.trim()) });
    });
  return { codes, problems };
}

test("docs/errors.md lists every error code used in src/, and no code that is gone", () => {
  const used = usedCodes();
  const { codes } = documentedCodes();
  const missing = [...used].filter(([code]) => !codes.has(code)).map(([code, where]) => `${code} (used at ${where})`);
  const gone = [...codes].filter(([code]) => !used.has(code)).map(([code, doc]) => `${code} (${docPath}:${doc.line})`);
  const problems = [
    ...missing.map((entry) => `missing from ${docPath}: ${entry}`),
    ...gone.map((entry) => `documented but no longer used in src/: ${entry}`),
  ];
  if (problems.length > 0) assert.fail(`${docPath} and the code disagree (${problems.length}):\n  ${problems.join("\n  ")}`);
});

test("docs/errors.md lists each code under its component's section, with a meaning and what to do", () => {
  const { codes, problems } = documentedCodes();
  for (const [code, { line, section, cells }] of codes) {
    const prefix = `${code.split("_")[0]}_*`;
    if (!section.includes(prefix)) problems.push(`${docPath}:${line}: ${code} is under "## ${section}", not under the section for ${prefix}`);
    if (cells.length < 2 || cells.some((cell) => cell === "")) problems.push(`${docPath}:${line}: ${code} needs two more cells: what it means | what the user can do`);
  }
  if (problems.length > 0) assert.fail(`${docPath} is not in shape (${problems.length}):\n  ${problems.join("\n  ")}`);
});
