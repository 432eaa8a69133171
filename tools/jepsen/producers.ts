/**
 * The writers: a few Producers of our client library (src/client), idempotent with acks=-1 (or,
 * --unsafe, acks=1 without idempotence), each sending unique values round robin over the
 * partitions at a steady rate with a bounded number in flight. Every attempt is recorded when it
 * is sent and settled when its answer comes: acknowledged (with its offset) or indeterminate.
 */
import { Producer } from '../../src/client/producer.js';
import type { WriteOp } from './history.js';
import type { ErrorLog } from './errors.js';

export interface ProducerLoadOptions {
  bootstrap: string;
  topic: string;
  partitions: number;
  producers: number;
  /** Writes per second, all producers together. */
  ratePerSecond: number;
  /** Writes in flight per producer at most. */
  window: number;
  unsafe: boolean;
}

export class ProducerLoad {
  readonly writes: WriteOp[] = [];
  private readonly clients: Producer[] = [];
  private readonly pending = new Set<Promise<void>>();
  private frozen = false;

  constructor(
    private readonly o: ProducerLoadOptions,
    private readonly errors: ErrorLog,
  ) {}

  async connect(): Promise<void> {
    for (let i = 0; i < this.o.producers; i++) {
      this.clients.push(
        await Producer.connect({
          bootstrap: this.o.bootstrap,
          clientId: `jepsen-producer-${i}`,
          acks: this.o.unsafe ? 1 : -1,
          idempotent: !this.o.unsafe,
          lingerMs: 2,
          // Keep trying through an election (the Java client's delivery.timeout.ms is 2 minutes).
          retries: 400,
          retryBackoffMs: 100,
          ackTimeoutMs: 10_000,
          requestTimeoutMs: 12_000,
          connectTimeoutMs: 3_000,
        }),
      );
    }
  }

  /** Sends until `untilMs` (Date.now() clock), paced to the rate, at most `window` in flight per producer. */
  async run(untilMs: number): Promise<void> {
    const start = Date.now();
    const inFlight = this.clients.map(() => 0);
    let sent = 0;
    while (Date.now() < untilMs) {
      const due = Math.floor(((Date.now() - start) / 1000) * this.o.ratePerSecond);
      while (sent < due) {
        const i = sent % this.clients.length;
        if (inFlight[i]! >= this.o.window) break; // this producer is saturated: fall behind the rate
        inFlight[i]!++;
        this.send(i, sent).finally(() => inFlight[i]!--);
        sent++;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits up to `ms` for answers still outstanding. */
  async settle(ms: number): Promise<void> {
    const deadline = new Promise((r) => setTimeout(r, ms).unref());
    await Promise.race([Promise.allSettled([...this.pending]), deadline]);
  }

  /** From now on answers are no longer recorded: the history is final (unanswered writes stay indeterminate). */
  freeze(): void {
    this.frozen = true;
  }

  /** Closes the producers, giving up on any that does not close within `ms`. */
  async close(ms: number): Promise<void> {
    const deadline = new Promise((r) => setTimeout(r, ms).unref());
    await Promise.race([Promise.allSettled(this.clients.map((c) => c.close())), deadline]);
  }

  get outstanding(): number {
    return this.pending.size;
  }

  private send(producer: number, n: number): Promise<void> {
    const w: WriteOp = { value: `v${n}`, producer: `p${producer}`, partition: n % this.o.partitions, startMs: Date.now(), endMs: null, outcome: 'info' };
    this.writes.push(w);
    const p = this.clients[producer]!.send(this.o.topic, { value: w.value, partition: w.partition }).then(
      ([m]) => {
        if (this.frozen) return;
        w.endMs = Date.now();
        w.outcome = 'ok';
        w.offset = Number(m!.offset);
        if (m!.partition !== w.partition) w.error = `acknowledged on partition ${m!.partition}`;
      },
      (err: Error) => {
        if (this.frozen) return;
        w.endMs = Date.now();
        w.error = err.message;
        this.errors.error('producer', err);
      },
    );
    const tracked = p.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
    return tracked;
  }
}
