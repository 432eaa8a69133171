/**
 * Shared pieces of the benchmarks: flag parsing, /proc readings (peak RSS, CPU time), an embedded
 * broker in a child process, and a Node producer and consumer written directly on the client
 * Connection rather than on the library's Producer and Consumer (src/client), so the broker's
 * produce and fetch paths are measured with as little client overhead as we can manage on a
 * machine the broker shares.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '../src/client/connection.js';
import { ApiKey, type FetchRequest } from '../src/protocol/messages/index.js';
import { ZERO_UUID } from '../src/protocol/primitives/index.js';
import { ErrorCode, errorInfo } from '../src/protocol/errors.js';
import { Compression, compressionFromName, encodeRecordBatchSync, batchCrcValid, decodeRecordBatchSync, OFF, LOG_OVERHEAD } from '../src/protocol/records/index.js';

/** Produce names topics by name up to v12 (v13 names them by id): the load generator's requests name them. */
const BY_NAME_PRODUCE = 12;

export const here = dirname(fileURLToPath(import.meta.url));

/** Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(script);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Flags

export type FlagValue = string | number | boolean;

/** `--name value`, `--name=value`, `--flag` (boolean). Unknown names are an error. */
export function parseFlags<T extends Record<string, FlagValue>>(argv: readonly string[], defaults: T): T {
  const out: Record<string, FlagValue> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    const name = (eq > 0 ? a.slice(2, eq) : a.slice(2)).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(name in defaults)) throw new Error(`unknown flag --${a.slice(2)} (known: ${Object.keys(defaults).map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join(' ')})`);
    const kind = typeof defaults[name];
    let raw: string;
    if (eq > 0) raw = a.slice(eq + 1);
    else if (kind === 'boolean' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))) raw = 'true';
    else raw = argv[++i] ?? '';
    if (kind === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new Error(`--${name}: expected a number, got '${raw}'`);
      out[name] = n;
    } else if (kind === 'boolean') out[name] = raw !== 'false' && raw !== '0';
    else out[name] = raw;
  }
  return out as T;
}

// ---------------------------------------------------------------------------------------------
// Process readings

/** Linux clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on every mainstream kernel). */
const CLK_TCK = 100;

export interface ProcStats {
  /** Peak resident set size so far (VmHWM), bytes. */
  peakRss: number;
  /** Current resident set size (VmRSS), bytes. */
  rss: number;
  /** User + system CPU time so far, ms. */
  cpuMs: number;
}

/** Reads /proc/<pid>/status and /proc/<pid>/stat; null when the process is gone. */
export function procStats(pid: number): ProcStats | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : 0;
    };
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { peakRss: kb('VmHWM'), rss: kb('VmRSS'), cpuMs: (ticks * 1000) / CLK_TCK };
  } catch {
    return null;
  }
}

export function mb(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---------------------------------------------------------------------------------------------
// Embedded broker in a child process

export interface ChildBroker {
  pid: number;
  bootstrap: string;
  /** ms from fork to the broker listening. */
  startMs: number;
  stats(): ProcStats | null;
  /** Closes the broker cleanly (a CPU profile, when asked for, is written on exit). */
  stop(): Promise<void>;
}

export interface ChildBrokerOptions {
  logDir: string;
  /** Extra node flags for the broker process, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/p']. */
  execArgv?: string[];
  /** Extra broker config (Kafka keys). */
  config?: Record<string, string>;
}

export async function startChildBroker(opts: ChildBrokerOptions): Promise<ChildBroker> {
  const t0 = performance.now();
  const child: ChildProcess = fork(join(here, 'broker-child.js'), [opts.logDir, JSON.stringify(opts.config ?? {})], {
    execArgv: opts.execArgv ?? [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('embedded broker did not start within 30 s')), 30_000);
    child.once('message', (m: { bootstrap?: string; error?: string }) => {
      clearTimeout(timer);
      if (m.bootstrap) resolve(m.bootstrap);
      else reject(new Error(`embedded broker failed: ${m.error}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`embedded broker exited during startup (code ${code})`));
    });
  });
  const startMs = performance.now() - t0;
  const pid = child.pid!;
  return {
    pid,
    bootstrap,
    startMs,
    stats: () => procStats(pid),
    async stop() {
      if (child.exitCode !== null) return;
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Topic setup

export interface TopicInfo {
  name: string;
  topicId: string;
  partitions: number;
}

/** Creates the topic (ignoring TOPIC_ALREADY_EXISTS) and waits until metadata shows leaders. */
export async function ensureTopic(conn: Connection, name: string, partitions: number, configs: Record<string, string> = {}): Promise<TopicInfo> {
  const res = await conn.send(ApiKey.CreateTopics, {
    topics: [
      {
        name,
        numPartitions: partitions,
        replicationFactor: 1,
        assignments: [],
        configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
      },
    ],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  const t = res.topics[0]!;
  if (t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
    throw new Error(`CreateTopics ${name}: ${errorInfo(t.errorCode).name} ${t.errorMessage ?? ''}`);
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const md = await conn.send(ApiKey.Metadata, {
      topics: [{ topicId: ZERO_UUID, name }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const mt = md.topics.find((x) => x.name === name);
    if (mt && mt.errorCode === ErrorCode.NONE && mt.partitions.length === partitions && mt.partitions.every((p) => p.leaderId >= 0)) {
      return { name, topicId: mt.topicId, partitions };
    }
    if (Date.now() > deadline) throw new Error(`topic ${name} has no leaders after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// Producer

export interface ProduceOptions {
  topic: string;
  partitions: number;
  records: number;
  recordSize: number;
  /** Target batch size in bytes (uncompressed records), like batch.size. */
  batchBytes: number;
  acks: number;
  compression: string;
  /** Produce requests in flight on the connection, like max.in.flight.requests.per.connection. */
  inFlight: number;
}

export interface ProduceResult {
  records: number;
  bytes: number;
  ms: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Per-request ack latency, ms (not per record: one request carries a whole batch). */
  latency: { avg: number; p50: number; p99: number; max: number };
  firstOffset: number;
  requests: number;
}

export function compressionCode(name: string): Compression {
  const c = compressionFromName(name);
  if (c === undefined) throw new Error(`unknown compression '${name}'`);
  return c;
}

/** A payload like kafka-producer-perf-test's: random upper-case letters. */
export function payload(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = 65 + Math.floor(Math.random() * 26);
  return b;
}

/**
 * Produces `records` records, one batch of ~batchBytes per request (round robin over partitions,
 * as a Java producer with linger drains one batch per partition), `inFlight` requests
 * outstanding. Batches are encoded as the producer goes, as a real producer would.
 */
export async function produce(conn: Connection, o: ProduceOptions): Promise<ProduceResult> {
  const codec = compressionCode(o.compression);
  const value = payload(o.recordSize);
  // Record overhead in a v2 batch for a null key and no headers is ~8-10 bytes.
  const perBatch = Math.max(1, Math.floor((o.batchBytes - 61) / (o.recordSize + 10)));
  const template = Array.from({ length: perBatch }, () => ({ value }));
  const lat: number[] = [];
  let firstOffset = -1;
  let sent = 0;
  let acked = 0;
  let bytes = 0;
  let requests = 0;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let outstanding = 0;
  let partition = 0;

  const t0 = performance.now();
  while (sent < o.records && !failure) {
    while (outstanding >= o.inFlight && !failure) await new Promise<void>((r) => (wake = r));
    if (failure) break;
    const n = Math.min(perBatch, o.records - sent);
    const recs = n === perBatch ? template : template.slice(0, n);
    const batch = encodeRecordBatchSync({ records: recs, compression: codec });
    sent += n;
    bytes += n * o.recordSize;
    const p = partition;
    partition = (partition + 1) % o.partitions;
    const start = performance.now();
    outstanding++;
    requests++;
    const req = {
      transactionalId: null,
      acks: o.acks,
      timeoutMs: 30_000,
      topicData: [{ name: o.topic, topicId: ZERO_UUID, partitionData: [{ index: p, records: batch }] }],
    };
    const done = (): void => {
      outstanding--;
      acked += n;
      lat.push(performance.now() - start);
      const w = wake;
      wake = null;
      w?.();
    };
    if (o.acks === 0) {
      conn.send(ApiKey.Produce, req, { expectResponse: false, version: BY_NAME_PRODUCE }).then(done, (err: Error) => {
        failure = err;
        done();
      });
    } else {
      conn.send(ApiKey.Produce, req, { version: BY_NAME_PRODUCE }).then(
        (res) => {
          const pr = res.responses[0]?.partitionResponses[0];
          if (!pr || pr.errorCode !== ErrorCode.NONE) {
            failure ??= new Error(`produce failed: ${pr ? errorInfo(pr.errorCode).name + ' ' + (pr.errorMessage ?? '') : 'empty response'}`);
          } else if (firstOffset < 0 && p === 0) firstOffset = Number(pr.baseOffset);
          done();
        },
        (err: Error) => {
          failure ??= err;
          done();
        },
      );
    }
  }
  while (outstanding > 0) await new Promise<void>((r) => (wake = r));
  const ms = performance.now() - t0;
  if (failure) throw failure;
  lat.sort((a, b) => a - b);
  return {
    records: acked,
    bytes,
    ms,
    recordsPerSec: (acked * 1000) / ms,
    mbPerSec: (bytes * 1000) / ms / (1024 * 1024),
    latency: {
      avg: lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length),
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      max: lat[lat.length - 1] ?? NaN,
    },
    firstOffset: Math.max(0, firstOffset),
    requests,
  };
}

// ---------------------------------------------------------------------------------------------
// Consumer

export interface ConsumeOptions {
  topic: TopicInfo;
  /** Partition 0 is read from this offset, the others from 0. */
  fromOffset: number;
  /** Stop once this many records have been read. */
  records: number;
  /** max.partition.fetch.bytes (default 1 MiB in the Java consumer). */
  partitionMaxBytes: number;
  /** fetch.max.bytes (default 50 MiB). */
  maxBytes: number;
  /** Decode every record (as a real consumer does) instead of walking batch headers. */
  decode: boolean;
  /** Give up after this long without progress. */
  idleTimeoutMs: number;
  /** Payload bytes per record, for MB/s as Kafka's tools count it (record bytes, not wire bytes). */
  recordSize: number;
}

export interface ConsumeResult {
  records: number;
  /** records x recordSize, as ConsumerPerformance counts MB. */
  bytes: number;
  /** Record-batch bytes received. */
  wireBytes: number;
  ms: number;
  recordsPerSec: number;
  mbPerSec: number;
  fetches: number;
}

/**
 * A consumer's Fetch (no session, read_uncommitted, long poll up to 500 ms) of partition i of
 * `topic` from offsets[i].
 */
function fetchFrom(topic: TopicInfo, offsets: readonly number[], maxBytes: number, partitionMaxBytes: number): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: topic.name,
        topicId: topic.topicId,
        partitions: offsets.map((off, partition) => ({
          partition,
          currentLeaderEpoch: -1,
          fetchOffset: BigInt(off),
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes,
          replicaDirectoryId: ZERO_UUID,
          highWatermark: 0x7fffffffffffffffn, // not a replica: the field is not sent
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/**
 * Reads every partition from the start (partition 0 from fromOffset) with one fetch in flight,
 * as a Java consumer does per broker. Each batch's CRC is checked (check.crcs=true in Java);
 * records are counted from batch headers, or decoded with --decode.
 */
export async function consume(conn: Connection, o: ConsumeOptions): Promise<ConsumeResult> {
  const offsets = Array.from({ length: o.topic.partitions }, (_, i) => (i === 0 ? o.fromOffset : 0));
  let count = 0;
  let wireBytes = 0;
  let fetches = 0;
  let lastProgress = Date.now();
  const t0 = performance.now();
  while (count < o.records) {
    const res = await conn.send(ApiKey.Fetch, fetchFrom(o.topic, offsets, o.maxBytes, o.partitionMaxBytes));
    fetches++;
    if (res.errorCode !== ErrorCode.NONE) throw new Error(`fetch failed: ${errorInfo(res.errorCode).name}`);
    let progressed = false;
    for (const t of res.responses) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) throw new Error(`fetch ${o.topic.name}-${p.partitionIndex}: ${errorInfo(p.errorCode).name}`);
        const buf = p.records;
        if (!buf || buf.length === 0) continue;
        const from = offsets[p.partitionIndex]!;
        let pos = 0;
        let next = from;
        while (pos + LOG_OVERHEAD + 49 <= buf.length) {
          const batchLen = buf.readInt32BE(pos + OFF.batchLength);
          const size = LOG_OVERHEAD + batchLen;
          if (pos + size > buf.length) break; // a partial batch at the end of the response
          const base = Number(buf.readBigInt64BE(pos + OFF.baseOffset));
          const last = base + buf.readInt32BE(pos + OFF.lastOffsetDelta);
          if (last >= next) {
            if (!batchCrcValid(buf, pos, size)) throw new Error(`CRC mismatch in batch at offset ${base}`);
            if (o.decode) {
              const d = decodeRecordBatchSync(buf, pos);
              for (const r of d.records) if (r.offset >= next) count++;
            } else count += last + 1 - Math.max(base, next);
            wireBytes += size;
            next = last + 1;
          }
          pos += size;
        }
        if (next > from) {
          offsets[p.partitionIndex] = next;
          progressed = true;
        }
      }
    }
    if (progressed) lastProgress = Date.now();
    else if (Date.now() - lastProgress > o.idleTimeoutMs) {
      throw new Error(`consumer made no progress for ${o.idleTimeoutMs} ms at ${count}/${o.records} records`);
    }
  }
  const ms = performance.now() - t0;
  const bytes = count * o.recordSize;
  return { records: count, bytes, wireBytes, ms, recordsPerSec: (count * 1000) / ms, mbPerSec: (bytes * 1000) / ms / (1024 * 1024), fetches };
}

/** Sum over partitions of (latest - earliest offset): the records a topic holds. */
export async function recordsInTopic(conn: Connection, topic: string, partitions: number): Promise<number> {
  const ask = async (timestamp: bigint): Promise<number[]> => {
    const res = await conn.send(ApiKey.ListOffsets, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })),
        },
      ],
      timeoutMs: 30_000,
    });
    return res.topics[0]!.partitions.map((p) => {
      if (p.errorCode !== ErrorCode.NONE) throw new Error(`ListOffsets ${topic}-${p.partitionIndex}: ${errorInfo(p.errorCode).name}`);
      return Number(p.offset);
    });
  };
  const latest = await ask(-1n);
  const earliest = await ask(-2n);
  return latest.reduce((sum, l, i) => sum + l - earliest[i]!, 0);
}

// ---------------------------------------------------------------------------------------------
// End-to-end latency

export interface E2EResult {
  records: number;
  avgMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/**
 * EndToEndLatency's loop with our client: send one record (acks=1) and wait until a consumer
 * that keeps a long-poll fetch outstanding on its own connection sees it; the latency is from
 * the send to the fetch response carrying it. One partition, records of `size` bytes.
 */
export async function endToEndLatency(producerConn: Connection, consumerConn: Connection, topic: TopicInfo, records: number, size: number): Promise<E2EResult> {
  const value = payload(size);
  const start = await recordsInTopicEnd(consumerConn, topic.name);
  let seenEnd = start;
  let stop = false;
  let waiter = null as { offset: number; resolve: () => void } | null;
  const poller = (async () => {
    while (!stop) {
      const res = await consumerConn.send(ApiKey.Fetch, fetchFrom(topic, [seenEnd], 1_048_576, 1_048_576));
      const p = res.responses[0]?.partitions[0];
      if (p && p.errorCode !== ErrorCode.NONE) throw new Error(`fetch: ${errorInfo(p.errorCode).name}`);
      const buf = p?.records;
      let pos = 0;
      while (buf && pos + LOG_OVERHEAD + 49 <= buf.length) {
        const size = LOG_OVERHEAD + buf.readInt32BE(pos + OFF.batchLength);
        if (pos + size > buf.length) break;
        const last = Number(buf.readBigInt64BE(pos + OFF.baseOffset)) + buf.readInt32BE(pos + OFF.lastOffsetDelta);
        if (last >= seenEnd) seenEnd = last + 1;
        pos += size;
      }
      if (waiter && seenEnd > waiter.offset) {
        const w = waiter;
        waiter = null;
        w.resolve();
      }
    }
  })();
  const lat: number[] = [];
  try {
    for (let i = 0; i < records; i++) {
      const t = performance.now();
      const batch = encodeRecordBatchSync({ records: [{ value }] });
      const res = await producerConn.send(ApiKey.Produce, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 30_000,
        topicData: [{ name: topic.name, topicId: topic.topicId, partitionData: [{ index: 0, records: batch }] }],
      });
      const pr = res.responses[0]!.partitionResponses[0]!;
      if (pr.errorCode !== ErrorCode.NONE) throw new Error(`produce: ${errorInfo(pr.errorCode).name}`);
      const offset = Number(pr.baseOffset);
      if (seenEnd <= offset) {
        await Promise.race([
          new Promise<void>((resolve) => (waiter = { offset, resolve })),
          poller.then(() => {
            throw new Error('consumer stopped');
          }),
          new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`record ${offset} not consumed within 10 s`)), 10_000).unref()),
        ]);
      }
      lat.push(performance.now() - t);
    }
  } finally {
    stop = true;
    await poller.catch(() => undefined);
  }
  lat.sort((a, b) => a - b);
  return {
    records: lat.length,
    avgMs: lat.reduce((a, b) => a + b, 0) / lat.length,
    p50Ms: percentile(lat, 50),
    p99Ms: percentile(lat, 99),
    p999Ms: percentile(lat, 99.9),
  };
}

async function recordsInTopicEnd(conn: Connection, topic: string): Promise<number> {
  const res = await conn.send(ApiKey.ListOffsets, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
    timeoutMs: 30_000,
  });
  return Number(res.topics[0]!.partitions[0]!.offset);
}
