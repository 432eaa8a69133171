/**
 * The final read, once the cluster is healed: every partition from its first offset to its end
 * (the high watermark its leader reports now), by a fresh assign consumer, in poll order. A
 * consumer that fails is replaced at the positions after what was read (a new session).
 */
import { Consumer } from '../../src/client/consumer.js';
import { endOffsets } from './cluster-info.js';
import { withTimeout } from './consumers.js';
import type { ReadOp } from './history.js';
import type { ErrorLog } from './errors.js';

export interface FinalRead {
  reads: ReadOp[];
  complete: boolean;
  ends: Map<number, number>;
  /** Why it is incomplete. */
  problem?: string;
}

export async function finalRead(bootstrap: string, topic: string, addressOf: (node: number) => string, timeoutMs: number, errors: ErrorLog): Promise<FinalRead> {
  const deadline = Date.now() + timeoutMs;
  let ends: Map<number, number> | null = null;
  while (!ends) {
    try {
      ends = await endOffsets(bootstrap, topic, addressOf);
    } catch (err) {
      if (Date.now() > deadline) return { reads: [], complete: false, ends: new Map(), problem: `no end offsets: ${(err as Error).message}` };
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const reads: ReadOp[] = [];
  const next = new Map<number, number>();
  let session = 0;
  const done = (): boolean => [...ends!].every(([p, end]) => (next.get(p) ?? 0) >= end);
  while (!done() && Date.now() < deadline) {
    session++;
    let c: Consumer | null = null;
    try {
      c = await Consumer.connect({ bootstrap, clientId: 'jepsen-final-read', autoOffsetReset: 'none', maxWaitMs: 100, requestTimeoutMs: 10_000, connectTimeoutMs: 3_000 });
      await c.assign([...ends.keys()].map((partition) => ({ topic, partition, start: next.has(partition) ? BigInt(next.get(partition)!) : ('earliest' as const) })));
      while (!done() && Date.now() < deadline) {
        const records = await withTimeout(c.poll(), 20_000, 'final read: poll took longer than 20 s');
        const at = Date.now();
        for (const r of records) {
          const offset = Number(r.offset);
          reads.push({ consumer: 'final', session, partition: r.partition, offset, value: r.value?.toString() ?? '', atMs: at });
          next.set(r.partition, offset + 1);
        }
        // Past the last record: control records or an empty end do not hold the read up.
        for (const [p, end] of ends) if ((c.position(topic, p) ?? 0n) >= BigInt(end)) next.set(p, Math.max(next.get(p) ?? 0, end));
      }
    } catch (err) {
      errors.error('final read', err);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      if (c) await Promise.race([c.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
    }
  }
  const complete = done();
  const behind = [...ends].filter(([p, end]) => (next.get(p) ?? 0) < end).map(([p, end]) => `partition ${p} at ${next.get(p) ?? 0} of ${end}`);
  return { reads, complete, ends, ...(complete ? {} : { problem: `did not reach the end within ${timeoutMs} ms: ${behind.join(', ')}` }) };
}
