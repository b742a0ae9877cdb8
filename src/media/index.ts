/**
 * @module media
 * Drives, volumes and media agents (DESIGN §5, format.md §3): the `dir`, `vtl` and `tape`
 * drives, the backup media agent that multiplexes streams into blocks on volumes and spans them,
 * and the readers that take a stream back from its blocks or check a whole volume. Imports
 * ../format and ../errors; codecs (CRC-32C) come in from the caller.
 */
export type { StreamWriter } from "./agent-stream.js";
export { DirDrive, LABEL_WRITER } from "./dir-drive.js";
export type { CreateVolumeOptions, Drive, VolumeReader, VolumeWriter } from "./drive.js";
export type { MediaErrorCode } from "./errors.js";
export { type DriveSpec, makeDrive } from "./make-drive.js";
export { MemoryDrive } from "./memory-drive.js";
export { MediaAgent, type MediaAgentOptions, type NewVolume } from "./media-agent.js";
export { coarsenExtents, type StreamExtent, type StreamPlacement } from "./placement.js";
export { readStreamRecords, type ReadStreamOptions, type ReadStreamResult, type StreamReadLoss } from "./read-stream-records.js";
export { scanVolume, type ScanVolumeResult, type VolumeBlockInfo } from "./scan-volume.js";
export { type CommandRunner, execFileRunner } from "./tape-commands.js";
export { TapeDrive, type TapeOptions } from "./tape-drive.js";
export { deviceTapeIo, type TapeHandle, type TapeIo } from "./tape-io.js";
export type { TapeStats } from "./tape-position.js";
export { VtlDrive, type VtlOptions } from "./vtl-drive.js";
export type { VolumeEvent } from "./volume-output.js";
export { RecordBuffers } from "./record-buffers.js";
