/**
 * @module client
 * The client agent's file side and the engine of `reel archive`: walks and reads file trees
 * into saveset streams (archive files, or records for a storage node: full, differential and
 * incremental backups), restores streams into trees (safely), reads media files. node:fs lives
 * here, with the native POSIX addon for what Node lacks. Imports ../format and ../errors.
 */
export { createArchive, type CreateOptions, type CreateSummary, DEFAULT_BLOCK_SIZE } from "./archive-create.js";
export { extractArchive, archiveProblems, type ExtractOptions, type ExtractSummary } from "./archive-extract.js";
export { readIndex, readSequentially, type StreamReadResult } from "./archive-read.js";
export { type ArchiveFile, FileBlockOutput, openArchiveFile, StreamBlockOutput, type BlockOutput } from "./block-output.js";
export { BufferRecycler } from "./buffer-recycler.js";
export { displayPath, type ClientErrorCode } from "./errors.js";
export { blocksFromStream, MediumFile } from "./medium-file.js";
export { nodeCodecs } from "./node-codecs.js";
export { CollectingReporter, type Progress, type Reporter } from "./reporter.js";
export { backupSaveset, type IndexedFile, type PreviousFile, type SavesetBackupOptions, type SavesetBackupSummary } from "./saveset-backup.js";
export { type Overwrite, SavesetRestore, type SavesetRestoreOptions, type StreamRestoreResult } from "./saveset-restore.js";
