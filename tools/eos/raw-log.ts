/**
 * The raw read of a topic on one broker: every partition from its start to its high watermark
 * with read_uncommitted Fetches, decoding every batch ourselves so that transaction markers
 * (control batches) are seen. Each data record gets its fate from its producer's next marker in
 * the same partition: COMMIT, ABORT, none yet (open), or not transactional (plain). Also the last
 * stable offsets (ListOffsets with read_committed), for the report.
 */
import { Connection } from '../../src/client/connection.js';
import { ErrorCode, errorInfo } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';
import { CONTROL_COMMIT, decodeRecordBatchSync, isControl, isTransactional, parseControlRecordKey, recordSetSpans } from '../../src/protocol/records/index.js';
import type { Fate, RawRecord } from './history.js';

export interface RawRead {
  records: RawRecord[];
  /** Control records seen, per marker type. */
  markers: { commit: number; abort: number };
  /** Partition -> high watermark (the read's end). */
  ends: Record<string, number>;
  /** Partition -> last stable offset. */
  lso: Record<string, number>;
  complete: boolean;
  problem?: string;
}

const header = (h: ReadonlyArray<{ key: string; value: Buffer | null }>, key: string): string | null => {
  for (let i = h.length - 1; i >= 0; i--) if (h[i]!.key === key) return h[i]!.value?.toString() ?? null;
  return null;
};

async function listOffsets(conn: Connection, topic: string, partitions: number, isolationLevel: number): Promise<number[]> {
  const res = await conn.send(ApiKey.ListOffsets, {
    replicaId: -1,
    isolationLevel,
    topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
    timeoutMs: 10_000,
  });
  // By partition index: a broker need not answer in the order asked (Kafka does not).
  const out = Array.from({ length: partitions }, () => -1);
  for (const p of res.topics[0]!.partitions) {
    if (p.errorCode !== ErrorCode.NONE) throw new Error(`ListOffsets ${topic}-${p.partitionIndex}: ${errorInfo(p.errorCode).name}`);
    out[p.partitionIndex] = Number(p.offset);
  }
  if (out.includes(-1)) throw new Error(`ListOffsets ${topic}: no answer for some partitions`);
  return out;
}

export async function readRawLog(bootstrap: string, topic: string, timeoutMs: number): Promise<RawRead> {
  const deadline = Date.now() + timeoutMs;
  const conn = await Connection.connect(bootstrap, { clientId: 'eos-raw-read', requestTimeoutMs: 15_000, connectTimeoutMs: 5_000 });
  try {
    const md = await conn.send(ApiKey.Metadata, {
      topics: [{ topicId: ZERO_UUID, name: topic }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const t = md.topics.find((x) => x.name === topic);
    if (!t || t.errorCode !== ErrorCode.NONE) throw new Error(`Metadata ${topic}: ${t ? errorInfo(t.errorCode).name : 'absent'}`);
    const partitions = t.partitions.length;
    const hw = await listOffsets(conn, topic, partitions, 0);
    const lso = await listOffsets(conn, topic, partitions, 1);
    const records: RawRecord[] = [];
    const markers = { commit: 0, abort: 0 };
    const next = hw.map(() => 0);
    for (let p = 0; p < partitions; p++) {
      // Records of each producer since its last marker in this partition, waiting for their fate.
      const pending = new Map<bigint, RawRecord[]>();
      while (next[p]! < hw[p]!) {
        if (Date.now() > deadline) break;
        const res = await conn.send(ApiKey.Fetch, {
          clusterId: null,
          replicaId: -1,
          replicaState: { replicaId: -1, replicaEpoch: -1n },
          maxWaitMs: 100,
          minBytes: 1,
          maxBytes: 8 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic,
              topicId: t.topicId,
              partitions: [
                {
                  partition: p,
                  currentLeaderEpoch: -1,
                  fetchOffset: BigInt(next[p]!),
                  lastFetchedEpoch: -1,
                  logStartOffset: -1n,
                  partitionMaxBytes: 4 << 20,
                  replicaDirectoryId: ZERO_UUID,
                  highWatermark: 0x7fffffffffffffffn,
                },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        });
        if (res.errorCode !== ErrorCode.NONE) throw new Error(`Fetch ${topic}: ${errorInfo(res.errorCode).name}`);
        const pr = res.responses[0]?.partitions[0];
        if (!pr) throw new Error(`Fetch ${topic}-${p}: no partition in the answer`);
        if (pr.errorCode !== ErrorCode.NONE) throw new Error(`Fetch ${topic}-${p}: ${errorInfo(pr.errorCode).name}`);
        const buf = pr.records;
        if (!buf || buf.length === 0) continue;
        for (const span of recordSetSpans(buf)) {
          const b = decodeRecordBatchSync(buf, span.position);
          const h = b.header;
          const last = h.baseOffset + h.lastOffsetDelta;
          if (last < next[p]!) continue;
          if (isControl(h.attributes)) {
            for (const r of b.records) {
              if (r.offset < next[p]!) continue;
              const commit = parseControlRecordKey(r.key).type === CONTROL_COMMIT;
              if (commit) markers.commit++;
              else markers.abort++;
              for (const x of pending.get(h.producerId) ?? []) x.fate = commit ? 'committed' : 'aborted';
              pending.delete(h.producerId);
            }
          } else {
            const txnal = isTransactional(h.attributes);
            for (const r of b.records) {
              if (r.offset < next[p]!) continue;
              const size = header(r.headers, 'txn-size');
              const x: RawRecord = {
                partition: p,
                offset: r.offset,
                key: r.key?.toString() ?? null,
                input: header(r.headers, 'in'),
                txn: header(r.headers, 'txn'),
                txnSize: size === null ? null : Number(size),
                producerId: String(h.producerId),
                producerEpoch: h.producerEpoch,
                fate: (txnal ? 'open' : 'plain') as Fate,
              };
              records.push(x);
              if (txnal) {
                let l = pending.get(h.producerId);
                if (!l) pending.set(h.producerId, (l = []));
                l.push(x);
              }
            }
          }
          next[p] = last + 1;
        }
      }
    }
    const ends = Object.fromEntries(hw.map((x, i) => [String(i), x]));
    const behind = hw.map((end, p) => (next[p]! < end ? `partition ${p} at ${next[p]} of ${end}` : '')).filter(Boolean);
    return {
      records,
      markers,
      ends,
      lso: Object.fromEntries(lso.map((x, i) => [String(i), x])),
      complete: behind.length === 0,
      ...(behind.length > 0 ? { problem: `raw read of ${topic} did not reach the end in ${timeoutMs} ms: ${behind.join(', ')}` } : {}),
    };
  } finally {
    conn.destroy();
  }
}
