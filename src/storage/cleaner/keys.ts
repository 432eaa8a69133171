/** The keys of a batch's records with their offsets (the offset map's input). */
import { BATCH_HEADER_SIZE, compressionOf } from '../../protocol/records/batch-header.js';
import { decompressSync } from '../../protocol/records/compression.js';
import { RecordReader } from '../../protocol/records/record.js';

export interface KeyOffset {
  key: Buffer;
  offset: number;
}

export function decodeKeys(batch: Buffer, baseOffset: number, attributes: number, recordCount: number): KeyOffset[] {
  let body = batch.subarray(BATCH_HEADER_SIZE);
  const codec = compressionOf(attributes);
  if (codec !== 0) body = decompressSync(codec, body);
  const r = new RecordReader(body, 0, body.length);
  const out: KeyOffset[] = [];
  for (let i = 0; i < recordCount && r.pos < body.length; i++) {
    const rec = r.readRecord();
    if (rec.key !== null) out.push({ key: rec.key, offset: baseOffset + rec.offsetDelta });
  }
  return out;
}
