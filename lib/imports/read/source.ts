import { Readable } from 'node:stream';

/**
 * Random access to a zip's bytes, wherever they are: in memory (here), in a file on the
 * driver's disk or stored in the database (store/sources.ts). The zip reader asks for byte
 * ranges (the central directory at the end, then one entry at a time), so nothing holds the
 * whole zip.
 */
export interface ZipSource {
  size: number;
  /** The bytes [start, end). */
  range(start: number, end: number): Readable;
}

export function bufferSource(data: Uint8Array): ZipSource {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { size: buf.length, range: (start, end) => Readable.from([buf.subarray(start, end)]) };
}
