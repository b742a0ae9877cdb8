/** Where a stream lies on media, as nodes report it and the server keeps it (by volume label). */
export interface WireExtent {
  label: string;
  firstBlock: number;
  blockCount: number;
  streamOffset: number;
}
