// reel.yaml (or JSON) text → a validated CalendarConfig, with errors that name the file, the line
// and the field: `reel.yaml:14: events[2].priority: must be an integer 0–99`. Nothing is applied
// on error: the caller gets either a whole config or one error.
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import { isReelError } from "../errors/index.js";
import { formatFieldPath, validateConfig, type CalendarConfig, type FieldPath } from "./calendar/index.js";
import { schedulerError } from "./errors.js";

/** The line (1-based) of a field, or of its nearest ancestor that exists in the document. */
function lineOf(document: ReturnType<typeof parseDocument>, lineCounter: LineCounter, path: FieldPath): number | undefined {
  for (let length = path.length; length >= 0; length--) {
    const node: unknown = length === 0 ? document.contents : document.getIn(path.slice(0, length), true);
    if (typeof node === "object" && node !== null && "range" in node && Array.isArray(node.range)) {
      const start = (node.range as number[])[0];
      if (typeof start === "number") return lineCounter.linePos(start).line;
    }
  }
  return undefined;
}

/**
 * Parses and validates the text of a config file (YAML; JSON is YAML too). `source` names the
 * file in messages. Throws SCHEDULER_BAD_CONFIG_SYNTAX or SCHEDULER_BAD_CONFIG, whose details
 * hold `source`, `line` and (for the latter) `field`.
 */
export function parseConfigText(text: string, source: string, options: { defaultTimeZone?: string } = {}): CalendarConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = document.errors[0];
  if (syntax !== undefined) {
    const line = lineCounter.linePos(syntax.pos[0]).line;
    throw schedulerError("SCHEDULER_BAD_CONFIG_SYNTAX", `${source}:${line}: cannot parse the config: ${syntax.message.split("\n")[0] ?? ""}`, { source, line });
  }
  const raw: unknown = document.toJS();
  try {
    return validateConfig(raw, undefined, options);
  } catch (error) {
    if (!isReelError(error, "SCHEDULER_BAD_CONFIG")) throw error;
    const path = error.details.path as FieldPath;
    const line = lineOf(document, lineCounter, path);
    const where = line === undefined ? source : `${source}:${line}`;
    throw schedulerError("SCHEDULER_BAD_CONFIG", `${where}: ${formatFieldPath(path) || "config"}: ${String(error.details.reason)}`, { ...error.details, source, ...(line === undefined ? {} : { line }) });
  }
}

/** Reads and validates a config file; see parseConfigText. Throws SCHEDULER_CONFIG_UNREADABLE when it cannot be read. */
export async function loadConfigFile(path: string, options: { defaultTimeZone?: string } = {}): Promise<CalendarConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw schedulerError("SCHEDULER_CONFIG_UNREADABLE", `Cannot read the config "${path}": ${error instanceof Error ? error.message : String(error)}`, { path }, error);
  }
  return parseConfigText(text, path, options);
}
