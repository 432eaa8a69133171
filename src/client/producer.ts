/**
 * The producer: records in, acknowledged offsets out, against Tributary or Apache Kafka.
 *
 * - Partitioning as the Java client does it, so keys land where other clients put them: an
 *   explicit partition; else murmur2 of the key, made positive, modulo the partition count; else
 *   (no key) a sticky partition per topic that moves on after each batch is sent.
 * - Batching: records wait per partition until `batchSize` bytes are pending or `lingerMs` has
 *   passed, then go as one RecordBatch (compressed with `compression`). One Produce request per
 *   broker carries every ready partition it leads.
 * - Ordering: one request in flight per partition, so a retried batch never overtakes a later one.
 * - Idempotence (the default with acks=-1, as in the Java client): a producer id from
 *   InitProducerId and a sequence number per partition on every batch; a retry resends the same
 *   batch with the same sequence, so a retry after a lost acknowledgement is not written twice (the
 *   broker answers it with the original offset). A batch that fails for good resets the producer id
 *   (new id, sequences from 0), so later batches are not refused as out of order; a batch numbered
 *   under the given-up id that had not gone out yet is numbered afresh under the new one.
 * - Retries: retriable errors (isRetriable: NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, a
 *   dropped connection, ...) refresh the metadata and resend, up to `retries` times,
 *   `retryBackoffMs` apart; other errors reject the records' promises with KafkaProtocolError.
 * - acks: -1 (all, the default), 1 or 0 (no answer: offsets are -1).
 * - Transactions (`transactionalId`): initTransactions(), then beginTransaction(), send(),
 *   sendOffsetsToTransaction(), commitTransaction() or abortTransaction(), as the Java producer;
 *   the protocol and its errors are in transaction-manager.ts. Records go out only inside a
 *   transaction; commit flushes first; abort drops what was not sent yet (those records reject with
 *   TransactionAbortedError). A batch that fails for good does not reset the producer id: it makes
 *   the transaction abortable (or, fenced, the producer unusable).
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey } from '../protocol/messages/index.js';
import { Compression, encodeRecordBatch, type ProducerRecord } from '../protocol/records/index.js';
import { ZERO_UUID } from '../protocol/primitives/index.js';
import { BrokerPool, type ClientConnectionOptions } from './brokers.js';
import type { TopicPartitionRef } from './consumer-protocol.js';
import { ClientClosedError, IllegalStateError, isRetriable, TransactionAbortedError } from './errors.js';
import { TransactionManager, type GroupMetadata, type TransactionState } from './transaction-manager.js';
const CODECS: Record<CompressionName, Compression> = { none: Compression.None, gzip: Compression.Gzip, snappy: Compression.Snappy, lz4: Compression.Lz4, zstd: Compression.Zstd };

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ProducerOptions extends ClientConnectionOptions {
  /** `host:port` of a broker to learn the cluster from, or several comma-separated (tried in turn, also when one dies). */
  bootstrap: string;
  /** -1 (all replicas in sync, the default), 1 (the leader) or 0 (no acknowledgement). */
  acks?: -1 | 0 | 1;
  compression?: CompressionName;
  /** How long a record may wait for more to share its batch. Default 5 (the Java client's 4.x default). */
  lingerMs?: number;
  /** Bytes of records per partition that send a batch at once. Default 16384. */
  batchSize?: number;
  /** The Produce request's timeoutMs (how long the broker may wait for acks=-1). Default 30000. */
  ackTimeoutMs?: number;
  /** Resends after a retriable error. Default 5. */
  retries?: number;
  /** Producer id and sequence numbers, so retries never duplicate. Default true with acks=-1 (needs it). */
  idempotent?: boolean;
  retryBackoffMs?: number;
  /**
   * Makes the producer transactional (implies idempotent, acks=-1): the id that fences older
   * producers with the same id and ties their transactions together across restarts.
   */
  transactionalId?: string;
  /** The coordinator aborts a transaction open longer than this. Default 60000 (Java's). */
  transactionTimeoutMs?: number;
  /**
   * The transaction protocol: 2 (KIP-890: no AddPartitionsToTxn, an epoch bump on every commit),
   * 1 (the old one), or unset: 2 when the broker finalizes transaction.version >= 2, else 1.
   */
  transactionVersion?: 1 | 2;
  /** How long a transactional call keeps retrying a coordinator that is not available. Default 60000. */
  maxBlockMs?: number;
}

/** A record to send; `partition` overrides the partitioner. */
export interface OutgoingRecord extends ProducerRecord {
  partition?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** The record's offset; -1n with acks=0. */
  offset: bigint;
}

interface Pending {
  record: OutgoingRecord;
  /** Estimated bytes in a batch. */
  size: number;
  resolve(m: RecordMetadata): void;
  reject(e: Error): void;
}

interface PartitionQueue {
  topic: string;
  partition: number;
  pending: Pending[];
  bytes: number;
  /** When the oldest pending record arrived (for linger). */
  since: number;
  inFlight: boolean;
  attempts: number;
  /** Idempotent: the sequence number of the next batch. */
  nextSeq: number;
  /** Idempotent: the batch to send again as it was (same records, same sequence), after a retriable error. */
  retryBatch: { take: Pending[]; baseSequence: number; gen: number; pid?: { id: bigint; epoch: number } } | null;
}

/** One partition's batch of one request: its records and, idempotent, its first sequence number. */
interface Batch {
  q: PartitionQueue;
  take: Pending[];
  baseSequence: number;
  /** Idempotent: the producer-id generation its sequence numbers belong to (see pidGeneration). */
  gen: number;
  /** Idempotent: the producer id and epoch it was first sent with (a retry keeps them). */
  pid?: { id: bigint; epoch: number };
}

interface TopicInfo {
  /** The topic id (Metadata v10+), which Produce v13 names the topic by; zero when unknown. */
  id: string;
  partitions: number;
  leaders: Map<number, number>;
}

/** Kafka's Utils.murmur2 (what the Java client's partitioner hashes keys with), as a signed 32-bit int. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const len = data.length;
  let h = 0x9747b28c ^ len;
  const n4 = len >>> 2;
  for (let i = 0; i < n4; i++) {
    const j = i * 4;
    let k = data[j]! | (data[j + 1]! << 8) | (data[j + 2]! << 16) | (data[j + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = len & ~3;
  const rest = len & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The Java client's partition for a key: toPositive(murmur2(key)) % partitions. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

export class Producer {
  private readonly acks: -1 | 0 | 1;
  private readonly codec: Compression;
  private readonly lingerMs: number;
  private readonly batchSize: number;
  private readonly ackTimeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly topics = new Map<string, Promise<TopicInfo>>();
  /** The partition unkeyed records of each topic go to, until its batch is sent. */
  private readonly sticky = new Map<string, number>();
  private readonly queues = new Map<string, PartitionQueue>();
  private readonly inflight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly idempotent: boolean;
  private producerId: Promise<{ id: bigint; epoch: number }> | null = null;
  /** Bumped each time the producer id is given up (and every partition's sequence goes back to 0). */
  private pidGeneration = 0;
  /** Transactional producers only. */
  private readonly txn: TransactionManager | null;
  /** Set while abortTransaction() drops what was not sent: nothing new goes out, no retries. */
  private dropping = false;

  private constructor(
    private readonly pool: BrokerPool,
    opts: ProducerOptions,
  ) {
    this.acks = opts.acks ?? -1;
    this.codec = CODECS[opts.compression ?? 'none'];
    this.lingerMs = opts.lingerMs ?? 5;
    this.batchSize = opts.batchSize ?? 16384;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 30_000;
    this.retries = opts.retries ?? 5;
    this.backoffMs = opts.retryBackoffMs ?? 100;
    this.idempotent = opts.idempotent ?? this.acks === -1; // connect() refused idempotent without acks=-1
    this.txn =
      opts.transactionalId === undefined
        ? null
        : new TransactionManager(pool, {
            transactionalId: opts.transactionalId,
            transactionTimeoutMs: opts.transactionTimeoutMs ?? 60_000,
            transactionVersion: opts.transactionVersion,
            retryBackoffMs: this.backoffMs,
            maxBlockMs: opts.maxBlockMs ?? 60_000,
          });
  }

  static async connect(opts: ProducerOptions): Promise<Producer> {
    if (opts.compression !== undefined && !(opts.compression in CODECS)) throw new RangeError(`unknown compression ${String(opts.compression)}`);
    if (opts.idempotent === true && (opts.acks ?? -1) !== -1) throw new RangeError('an idempotent producer needs acks=-1 (all)');
    if (opts.transactionalId !== undefined) {
      if (opts.transactionalId === '') throw new RangeError('transactionalId must not be empty');
      if (opts.idempotent === false || (opts.acks ?? -1) !== -1) throw new RangeError('a transactional producer is idempotent, with acks=-1 (all)');
    }
    if (opts.transactionVersion !== undefined && opts.transactionVersion !== 1 && opts.transactionVersion !== 2) throw new RangeError(`transactionVersion is 1 or 2, not ${String(opts.transactionVersion)}`);
    const { bootstrap, acks: _a, compression: _c, lingerMs: _l, batchSize: _s, ackTimeoutMs: _t, retries: _r, retryBackoffMs: _rb, idempotent: _i, transactionalId: _x, transactionTimeoutMs: _xt, transactionVersion: _xv, maxBlockMs: _mb, ...conn } = opts;
    return new Producer(await BrokerPool.connect(bootstrap, { clientId: 'tributary-producer', ...conn }), opts);
  }

  /** Sends records to a topic; resolves, in order, with where each was written. */
  send(topic: string, records: OutgoingRecord | readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    const list = Array.isArray(records) ? (records as readonly OutgoingRecord[]) : [records as OutgoingRecord];
    if (this.closed) return Promise.reject(new ClientClosedError('the producer is closed'));
    try {
      this.txn?.assertCanSend();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return Promise.all(list.map((r) => this.enqueue(topic, r)));
  }

  /**
   * Transactional: finds the transactional id's coordinator and gets a producer id and epoch
   * (InitProducerId), which fences any older producer of the id and aborts what it left open.
   * Once, before the first transaction.
   */
  async initTransactions(): Promise<void> {
    const txn = this.transactional('initTransactions()');
    await txn.init();
    this.adoptProducerId();
  }

  /** Transactional: opens a transaction (no request: the coordinator learns of it with its first partition). */
  beginTransaction(): void {
    this.transactional('beginTransaction()').begin();
  }

  /**
   * Transactional: commits consumed offsets with the transaction (they become the group's committed
   * offsets only if it commits). `offsets` are the next offsets to read, as commit() takes them;
   * `group` is the consumer's groupMetadata(), so a consumer that left the group is fenced.
   */
  async sendOffsetsToTransaction(offsets: ReadonlyArray<TopicPartitionRef & { offset: bigint; metadata?: string | null }>, group: GroupMetadata): Promise<void> {
    await this.transactional('sendOffsetsToTransaction()').sendOffsets(offsets, group);
  }

  /**
   * Transactional: sends everything pending, then commits (EndTxn). Rejects with
   * TransactionAbortableError when a record or the offsets could not be written (abort then), with
   * ProducerFencedError when another producer took the id over.
   */
  async commitTransaction(): Promise<void> {
    const txn = this.transactional('commitTransaction()');
    txn.assertCanCommit();
    await this.flush();
    if (await txn.end(true)) this.adoptProducerId();
  }

  /**
   * Transactional: aborts the open transaction (also after an abortable error). Records not sent
   * yet are dropped (their send() rejects with TransactionAbortedError); records in flight are
   * waited for, then the coordinator writes the ABORT markers.
   */
  async abortTransaction(): Promise<void> {
    const txn = this.transactional('abortTransaction()');
    txn.assertCanAbort();
    this.dropping = true;
    try {
      for (;;) {
        this.dropUnsent(txn);
        if (this.inflight.size === 0) break;
        await Promise.race([...this.inflight]);
      }
    } finally {
      this.dropping = false;
    }
    if (await txn.end(false)) this.adoptProducerId();
  }

  /** Transactional: where the transaction stands (`ready`, `inTransaction`, `abortableError`, `fatalError`, ...). */
  get transactionState(): TransactionState | null {
    return this.txn?.state ?? null;
  }

  /** Transactional: the producer id and epoch in use (changes with every transaction under transaction version 2). */
  get producerIdAndEpoch(): { id: bigint; epoch: number } | null {
    return this.txn ? { ...this.txn.pid } : null;
  }

  /** Transactional: whether transaction version 2 (KIP-890) is in use, after initTransactions(). */
  get transactionVersion(): 1 | 2 | null {
    return this.txn && this.txn.state !== 'uninitialized' ? (this.txn.tv2 ? 2 : 1) : null;
  }

  private transactional(what: string): TransactionManager {
    if (this.closed) throw new ClientClosedError('the producer is closed');
    if (!this.txn) throw new IllegalStateError(`${what} needs the transactionalId option`);
    return this.txn;
  }

  /** Rejects the records that were not sent (queued or waiting for a retry); a dropped retry leaves a sequence gap. */
  private dropUnsent(txn: TransactionManager): void {
    for (const q of this.queues.values()) {
      const dropped = q.pending.splice(0);
      q.bytes = 0;
      if (q.retryBatch) {
        dropped.push(...q.retryBatch.take);
        q.retryBatch = null;
        txn.requireBump();
      }
      for (const p of dropped) p.reject(new TransactionAbortedError(`the transaction was aborted before this record to ${q.topic}-${q.partition} was sent`));
    }
  }

  /** The transaction manager's producer id and epoch are now the producer's: every sequence starts at 0. */
  private adoptProducerId(): void {
    const pid = { ...this.txn!.pid };
    this.producerId = Promise.resolve(pid);
    this.pidGeneration++;
    for (const q of this.queues.values()) q.nextSeq = 0;
  }

  /** Sends everything pending now and waits for the answers. */
  async flush(): Promise<void> {
    for (;;) {
      this.drain(true);
      if (this.inflight.size === 0 && ![...this.queues.values()].some((q) => q.pending.length > 0 || q.retryBatch)) return;
      await Promise.race([...this.inflight, new Promise((r) => setTimeout(r, this.backoffMs))]);
    }
  }

  /** Flushes, then closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.txn?.close();
    await this.pool.close();
  }

  // -------------------------------------------------------------------------------------------

  private async enqueue(topic: string, record: OutgoingRecord): Promise<RecordMetadata> {
    let info: TopicInfo;
    try {
      info = await this.topicInfo(topic);
    } catch (err) {
      // In a transaction a record that cannot even be queued still dooms it (as in the Java client).
      throw this.txn ? this.txn.batchFailed(err as Error) : err;
    }
    let partition = record.partition;
    if (partition === undefined) {
      const key = record.key;
      partition = key == null ? this.stickyPartition(topic, info) : partitionForKey(typeof key === 'string' ? Buffer.from(key) : key, info.partitions);
    } else if (!Number.isInteger(partition) || partition < 0 || partition >= info.partitions) {
      const err = new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic} has no partition ${partition}`);
      throw this.txn ? this.txn.batchFailed(err) : err;
    }
    const k = `${topic}\u0000${partition}`;
    let q = this.queues.get(k);
    if (!q) this.queues.set(k, (q = { topic, partition, pending: [], bytes: 0, since: 0, inFlight: false, attempts: 0, nextSeq: 0, retryBatch: null }));
    const queue = q;
    return new Promise<RecordMetadata>((resolve, reject) => {
      if (queue.pending.length === 0) queue.since = Date.now();
      const size = (record.value?.length ?? 0) + (record.key?.length ?? 0) + 16;
      queue.pending.push({ record, size, resolve, reject });
      queue.bytes += size;
      if (queue.bytes >= this.batchSize) this.drain(false);
      else this.schedule();
    });
  }

  private stickyPartition(topic: string, info: TopicInfo): number {
    let p = this.sticky.get(topic);
    if (p === undefined || p >= info.partitions) this.sticky.set(topic, (p = Math.floor(Math.random() * info.partitions)));
    return p;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.drain(false);
    }, this.lingerMs);
  }

  /** Sends every partition that is ready (full, lingered long enough, or `all`), grouped by leader. */
  private drain(all: boolean): void {
    const now = Date.now();
    const ready: PartitionQueue[] = [];
    let waiting = false;
    for (const q of this.queues.values()) {
      if (q.inFlight || (q.pending.length === 0 && !q.retryBatch)) continue;
      if (all || q.retryBatch || q.bytes >= this.batchSize || now - q.since >= this.lingerMs) ready.push(q);
      else waiting = true;
    }
    if (waiting) this.schedule();
    if (ready.length === 0 || this.dropping) return;
    for (const q of ready) q.inFlight = true;
    // sendReady settles every batch it takes (success or failure); a bug there must not become an
    // unhandled rejection that ends the process.
    const p = this.sendReady(ready).catch(() => undefined).finally(() => {
      this.inflight.delete(p);
      this.drain(false);
    });
    this.inflight.add(p);
  }

  private async sendReady(ready: PartitionQueue[]): Promise<void> {
    // Take each partition's batch now; later records wait for the next request.
    const batches = ready.map((q): Batch => {
      if (q.retryBatch) {
        const again = q.retryBatch;
        q.retryBatch = null;
        return { q, take: again.take, baseSequence: again.baseSequence, gen: again.gen, ...(again.pid ? { pid: again.pid } : {}) };
      }
      // At most batchSize bytes (at least one record) per batch; the rest waits for the next request.
      let n = 0;
      let bytes = 0;
      while (n < q.pending.length && (n === 0 || bytes + q.pending[n]!.size <= this.batchSize)) bytes += q.pending[n++]!.size;
      const take = q.pending.splice(0, n);
      q.bytes -= bytes;
      q.since = Date.now();
      let baseSequence = -1;
      if (this.idempotent) {
        baseSequence = q.nextSeq;
        q.nextSeq = (q.nextSeq + take.length) % 0x80000000; // int32 sequences wrap to 0
      }
      return { q, take, baseSequence, gen: this.pidGeneration };
    });
    const byLeader = new Map<number, typeof batches>();
    for (const b of batches) {
      let leader = -1;
      try {
        leader = (await this.topicInfo(b.q.topic)).leaders.get(b.q.partition) ?? -1;
      } catch (err) {
        this.fail(b, err as Error);
        continue;
      }
      const list = byLeader.get(leader) ?? [];
      list.push(b);
      byLeader.set(leader, list);
      // The sticky partition of unkeyed records moves on after each batch (Java's KIP-480).
      if (this.sticky.get(b.q.topic) === b.q.partition) {
        const n = (await this.topicInfo(b.q.topic).catch(() => null))?.partitions ?? 1;
        this.sticky.set(b.q.topic, (b.q.partition + 1) % n);
      }
    }
    await Promise.all([...byLeader].map(([leader, list]) => this.produceTo(leader, list)));
  }

  private async produceTo(leader: number, list: Batch[]): Promise<void> {
    const retry: Array<Batch & { err: Error }> = [];
    try {
      if (leader < 0) throw new KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE);
      const conn = await this.pool.connection(leader);
      const byTopic = new Map<string, Array<{ index: number; records: Buffer }>>();
      const ids = new Map<string, string>();
      // Transaction version 1: the partitions join the transaction before their first batch.
      if (this.txn) await this.txn.addPartitions(list.map((b) => ({ topic: b.q.topic, partition: b.q.partition })));
      for (const b of list) {
        if (this.idempotent && !b.pid) await this.stampProducerId(b);
        const records = await encodeRecordBatch({
          records: b.take.map((p) => p.record),
          compression: this.codec,
          ...(b.pid ? { producerId: b.pid.id, producerEpoch: b.pid.epoch, baseSequence: b.baseSequence } : {}),
          ...(this.txn ? { transactional: true } : {}),
        });
        ids.set(b.q.topic, (await this.topicInfo(b.q.topic)).id);
        const t = byTopic.get(b.q.topic) ?? [];
        t.push({ index: b.q.partition, records });
        byTopic.set(b.q.topic, t);
      }
      const request = {
        transactionalId: this.txn ? this.txn.transactionalId : null,
        acks: this.acks,
        timeoutMs: this.ackTimeoutMs,
        topicData: [...byTopic].map(([name, partitionData]) => ({ name, topicId: ids.get(name) ?? ZERO_UUID, partitionData })),
      };
      // v13 names topics by id: without an id (a broker that gave none) stay below it.
      // Transaction version 1 stays below v12 (v12+ tells the broker the client adds no partitions).
      const cap = Math.min([...ids.values()].includes(ZERO_UUID) ? 12 : Infinity, this.txn?.produceVersionCap ?? Infinity);
      const version = cap < Infinity ? Math.min(conn.versionFor(ApiKey.Produce), cap) : undefined;
      const res = await conn.send(ApiKey.Produce, request, version === undefined ? {} : { version });
      if (res === undefined) {
        for (const b of list) this.succeed(b, -1n);
        return;
      }
      for (const b of list) {
        const id = ids.get(b.q.topic);
        const t = res.responses.find((r) => (r.name !== '' ? r.name === b.q.topic : r.topicId === id));
        const p = t?.partitionResponses.find((x) => x.index === b.q.partition);
        if (!p) retry.push({ ...b, err: new KafkaProtocolError(ErrorCode.UNKNOWN_SERVER_ERROR, 'no answer for this partition') });
        else if (p.errorCode === ErrorCode.NONE || p.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) this.succeed(b, p.baseOffset);
        else retry.push({ ...b, err: new KafkaProtocolError(p.errorCode, p.errorMessage ?? undefined) });
      }
    } catch (err) {
      for (const b of list) retry.push({ ...b, err: err as Error });
    }
    for (const r of retry) {
      if (isRetriable(r.err) && r.q.attempts < this.retries && !this.closed && !this.dropping) {
        r.q.attempts++;
        this.topics.delete(r.q.topic); // fresh metadata (leader moved, topic created, ...)
        await new Promise((res) => setTimeout(res, this.backoffMs));
        // Idempotent: the same batch, same sequence (the broker drops it if the first one landed).
        if (this.idempotent) r.q.retryBatch = { take: r.take, baseSequence: r.baseSequence, gen: r.gen, ...(r.pid ? { pid: r.pid } : {}) };
        else r.q.pending.unshift(...r.take);
        r.q.inFlight = false;
      } else {
        this.fail(r, r.err);
      }
    }
  }

  /**
   * Gives a batch that has not been sent yet the current producer id. Its sequence numbers were
   * taken when it was cut; if the id they belonged to was given up since (another batch failed for
   * good, every sequence went back to 0), it takes the partition's next numbers under the new id.
   * One batch per partition is in flight, so nothing else of its partition was numbered meanwhile.
   */
  private async stampProducerId(b: Batch): Promise<void> {
    let gen: number;
    let pid: { id: bigint; epoch: number };
    do {
      gen = this.pidGeneration;
      pid = await this.initProducerId();
    } while (gen !== this.pidGeneration);
    if (b.gen !== gen) {
      b.baseSequence = b.q.nextSeq;
      b.q.nextSeq = (b.q.nextSeq + b.take.length) % 0x80000000;
      b.gen = gen;
    }
    b.pid = pid;
  }

  /** The producer id and epoch (InitProducerId, once; again after a reset). */
  private initProducerId(): Promise<{ id: bigint; epoch: number }> {
    if (this.txn) return this.producerId ?? Promise.reject(new IllegalStateError('a transactional producer needs initTransactions() first'));
    if (!this.producerId) {
      const p = (async () => {
        const conn = await this.pool.bootstrapConnection();
        const res = await conn.send(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
        if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, 'InitProducerId');
        return { id: res.producerId, epoch: res.producerEpoch };
      })();
      this.producerId = p;
      p.catch(() => this.producerId === p && (this.producerId = null));
    }
    return this.producerId;
  }

  private succeed(b: Batch, baseOffset: bigint): void {
    b.q.attempts = 0;
    b.q.inFlight = false;
    b.take.forEach((p, i) => p.resolve({ topic: b.q.topic, partition: b.q.partition, offset: baseOffset < 0n ? -1n : baseOffset + BigInt(i) }));
  }

  private fail(b: Batch, err: Error): void {
    b.q.attempts = 0;
    b.q.inFlight = false;
    if (this.txn) {
      // In a transaction the producer id stays: the transaction is to be aborted (or the producer is fenced).
      err = this.txn.batchFailed(err);
    } else if (this.idempotent && b.baseSequence >= 0) {
      // Its sequence numbers were never written: a new producer id, all sequences from 0.
      this.producerId = null;
      this.pidGeneration++;
      for (const q of this.queues.values()) q.nextSeq = 0;
    }
    for (const p of b.take) p.reject(err);
  }

  private topicInfo(topic: string): Promise<TopicInfo> {
    let p = this.topics.get(topic);
    if (!p) {
      p = this.fetchTopic(topic);
      this.topics.set(topic, p);
      p.catch(() => this.topics.get(topic) === p && this.topics.delete(topic));
    }
    return p;
  }

  private async fetchTopic(topic: string): Promise<TopicInfo> {
    const md = await this.pool.metadata([topic], true);
    const t = md.topics[0];
    if (!t || t.errorCode !== ErrorCode.NONE) {
      throw new KafkaProtocolError(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} is not in the metadata (auto.create.topics.enable is off, or the name is invalid)`);
    }
    return { id: t.topicId, partitions: t.partitions.length, leaders: new Map(t.partitions.map((p) => [p.partitionIndex, p.leaderId])) };
  }
}
