/** Error codes of the command line (docs/errors.md). */
export type CliErrorCode = "CLI_BAD_ARGUMENT" | "CLI_CANNOT_WRITE" | "CLI_PASSPHRASE_MISSING" | "CLI_SERVER_UNREACHABLE" | "CLI_BAD_RESPONSE";
