/** The errno code of a Node or addon error ("ENOENT"), if any. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? (error as { code: string }).code
    : undefined;
}

/** A short reason for a system error: "ENOENT: no such file or directory". */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = errnoCode(error);
    const message = error.message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/s, "");
    return code !== undefined ? `${code}: ${message}` : message;
  }
  return String(error);
}
