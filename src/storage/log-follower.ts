/**
 * What a follower's append (Log.appendAsFollower) accepts: the leader's batches exactly as the
 * leader wrote them (offsets, timestamps, partitionLeaderEpoch, producer fields), as a Fetch
 * response carries them. Kafka's follower path (UnifiedLog.appendAsFollower) checks the same:
 * valid v2 batches, offsets continuing the log, no assignment. Everything is checked before
 * anything is written, so a bad response appends nothing.
 */
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF, batchCrcValid, readBatchHeader } from '../protocol/records/batch-header.js';
import { MAGIC_V2 } from '../protocol/records/batch.js';
import { CorruptRecordError, OffsetMismatchError } from './errors.js';
import type { AppendBatch } from './log-validator.js';

export interface FollowerRecords {
  /** The whole batches (a partial trailing batch left out). */
  records: Buffer;
  batches: AppendBatch[];
}

/**
 * Checks `records` for an append at `logEndOffset`. A Fetch response may end with a partial
 * batch (the leader cuts at the fetch size): it is left out, as Kafka's follower does. Throws
 * CorruptRecordError (bad length, magic, CRC) or OffsetMismatchError (the first batch not at the
 * log end, or a later one not right after its predecessor).
 */
export function checkFollowerRecords(records: Buffer, logEndOffset: number): FollowerRecords {
  const batches: AppendBatch[] = [];
  let at = 0;
  let expected = logEndOffset;
  while (records.length - at >= LOG_OVERHEAD) {
    const size = records.readInt32BE(at + OFF.batchLength) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE) throw new CorruptRecordError(`batch ${batches.length} (byte ${at}): length ${size} is below the v2 header`);
    if (at + size > records.length) break; // the partial tail of a Fetch response
    const h = readBatchHeader(records, at);
    const i = batches.length;
    if (h.magic !== MAGIC_V2) throw new CorruptRecordError(`batch ${i} (byte ${at}): unsupported magic ${h.magic}`);
    if (h.lastOffsetDelta < 0) throw new CorruptRecordError(`batch ${i} (byte ${at}): negative lastOffsetDelta`);
    if (!batchCrcValid(records, at, size)) throw new CorruptRecordError(`batch ${i} (byte ${at}) is corrupt (stored crc = ${h.crc >>> 0})`);
    if (h.baseOffset !== expected) throw new OffsetMismatchError(expected, h.baseOffset, h.baseOffset + h.lastOffsetDelta, i);
    batches.push({ at, h });
    expected = h.baseOffset + h.lastOffsetDelta + 1;
    at += size;
  }
  return { records: at === records.length ? records : records.subarray(0, at), batches };
}
