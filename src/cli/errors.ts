/** Error codes of the command line (docs/errors.md). */
export type CliErrorCode = "CLI_BAD_ARGUMENT" | "CLI_CANNOT_WRITE" | "CLI_PASSPHRASE_MISSING";
