/**
 * The readers during a run, each recording every record it sees in poll order:
 * - `assign`: assigns every partition from the earliest offset and polls (autoOffsetReset none,
 *   so the client never moves a position behind our back);
 * - `group`: a member of a consumer group subscribed to the topic (positions from the committed
 *   offsets; every assignment starts a new session, as a rebalance may legitimately go back).
 * A consumer that throws, or whose poll hangs, is replaced by a new one (a new session) at the
 * positions after what it read.
 */
import { Consumer, type ConsumerOptions } from '../../src/client/consumer.js';
import type { ReadOp } from './history.js';
import type { ErrorLog } from './errors.js';

export interface ReaderOptions {
  bootstrap: string;
  topic: string;
  partitions: number;
  mode: 'assign' | 'group';
  name: string;
  groupId?: string;
  /** A poll that takes longer than this is a hang: the consumer is abandoned and replaced. */
  pollTimeoutMs: number;
}

const CLIENT: Partial<ConsumerOptions> = { maxWaitMs: 250, requestTimeoutMs: 10_000, connectTimeoutMs: 3_000 };

export class Reader {
  readonly reads: ReadOp[] = [];
  private session = 0;
  private stopped = false;
  private consumer: Consumer | null = null;
  /** The next offset per partition, from what this reader has seen. */
  private readonly next = new Map<number, number>();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly o: ReaderOptions,
    private readonly errors: ErrorLog,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(ms: number): Promise<void> {
    this.stopped = true;
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, ms).unref())]);
    await this.drop();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.consumer) this.consumer = await this.create();
        const records = await withTimeout(this.consumer.poll(), this.o.pollTimeoutMs, `poll took longer than ${this.o.pollTimeoutMs} ms`);
        const at = Date.now();
        for (const r of records) {
          const offset = Number(r.offset);
          this.reads.push({ consumer: this.o.name, session: this.session, partition: r.partition, offset, value: r.value?.toString() ?? '', atMs: at });
          this.next.set(r.partition, Math.max(this.next.get(r.partition) ?? 0, offset + 1));
        }
      } catch (err) {
        this.errors.error(this.o.name, err);
        await this.drop();
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private async create(): Promise<Consumer> {
    this.session++;
    if (this.o.mode === 'group') {
      const c = await Consumer.connect({
        ...CLIENT,
        bootstrap: this.o.bootstrap,
        clientId: this.o.name,
        groupId: this.o.groupId!,
        autoOffsetReset: 'earliest',
        autoCommitIntervalMs: 1_000,
        group: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 15_000 },
        onAssigned: () => void this.session++,
      });
      c.subscribe([this.o.topic]);
      return c;
    }
    const c = await Consumer.connect({ ...CLIENT, bootstrap: this.o.bootstrap, clientId: this.o.name, autoOffsetReset: 'none' });
    try {
      await c.assign(Array.from({ length: this.o.partitions }, (_, partition) => {
        const n = this.next.get(partition);
        return { topic: this.o.topic, partition, start: n === undefined ? ('earliest' as const) : BigInt(n) };
      }));
    } catch (err) {
      void c.close().catch(() => undefined);
      throw err;
    }
    return c;
  }

  /** Closes the current consumer without waiting long for it (it may be the one that hung). */
  private async drop(): Promise<void> {
    const c = this.consumer;
    this.consumer = null;
    if (c) await Promise.race([c.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
