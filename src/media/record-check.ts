import { type Codecs, decodeRecordHeader, idToString, RECORD_HEADER_SIZE, recordChecksumMatches, type RecordHeader } from "../format/index.js";
import { mediaError } from "./errors.js";

/**
 * Checks a record a sender gave for one stream before it is packed (format.md §3.4: a medium
 * writer MUST check a record's checksum unless it computed it): whole, within the limits of
 * §4.1, its checksum (unless `checksumChecked`: another writer in this process checked these
 * very bytes, a mirror stage on the same node), and the next sequence number. Throws MEDIA_BAD_RECORD naming the stream
 * and the sequence.
 */
export function checkRecord(record: Uint8Array, o: { streamId: Uint8Array; sequence: number; codecs: Codecs; checksumChecked?: boolean }): RecordHeader {
  const refuse = (sequence: number | null, reason: string): Error =>
    mediaError("MEDIA_BAD_RECORD", `Cannot write record ${sequence ?? `after ${o.sequence - 1}`} of stream ${idToString(o.streamId)}: ${reason}`, {
      streamId: idToString(o.streamId), sequence: sequence ?? o.sequence,
    });
  if (record.length < RECORD_HEADER_SIZE) throw refuse(null, `${record.length} bytes are shorter than a record header`);
  const header = decodeRecordHeader(record, 0);
  if (header === null) throw refuse(null, "its header breaks the limits of format.md §4.1");
  if (RECORD_HEADER_SIZE + header.storedLength !== record.length) {
    throw refuse(header.sequence, `it has ${record.length} bytes, its header says ${RECORD_HEADER_SIZE + header.storedLength}`);
  }
  if (o.checksumChecked !== true && !recordChecksumMatches(record, o.codecs)) throw badChecksum(o.streamId, header.sequence);
  if (header.sequence !== o.sequence) throw refuse(header.sequence, `record ${o.sequence} was expected next`);
  return header;
}

/** MEDIA_BAD_RECORD for a record whose checksum does not match (found by checkRecord or while packing). */
export function badChecksum(streamId: Uint8Array, sequence: number): Error {
  return mediaError("MEDIA_BAD_RECORD", `Cannot write record ${sequence} of stream ${idToString(streamId)}: checksum mismatch`, { streamId: idToString(streamId), sequence });
}
