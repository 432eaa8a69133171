// Shared helpers for the broker and client tests: an embedded broker in a temp dir, a connected
// client, and request builders that fill in Kafka's defaults (the encoders refuse non-default
// values a version cannot carry).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker, type BrokerOptions } from '../../../src/index.js';
import type { BrokerRuntimeOptions } from '../../../src/broker/broker.js';
import { Connection, type ConnectionOptions } from '../../../src/client/index.js';
import { ApiKey, type FetchRequest, type ListOffsetsRequest, type ProduceRequest } from '../../../src/protocol/messages/index.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/index.js';
import { encodeRecordBatchSync, type EncodeBatchOptions, type ProducerRecord } from '../../../src/protocol/records/index.js';
import { createLogger, type Logger } from '../../../src/broker/logger.js';
import { pino } from 'pino';

export { ZERO_UUID };

export interface TestBroker {
  broker: Broker;
  dir: string;
  options: BrokerOptions;
  /** Restarts on the same log dir (and the same options). */
  restart(): Promise<void>;
  /** Closes the broker and removes the dir. */
  close(): Promise<void>;
}

/** A logger that keeps the broker's log lines (parsed JSON) in `lines`, for asserting on them. */
export function capturingLogger(level = 'warn'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level, base: null }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

export async function startBroker(overrides: BrokerOptions = {}, runtime: Pick<BrokerRuntimeOptions, 'logger' | 'principalBuilder' | 'systemProperties'> = {}): Promise<TestBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-test-'));
  const options: BrokerOptions = {
    listeners: 'PLAINTEXT://127.0.0.1:0',
    logDirs: dir,
    'auto.create.topics.enable': false,
    ...overrides,
  };
  const logger = runtime.logger ?? createLogger(process.env.TRIBUTARY_TEST_LOG_LEVEL ?? 'silent');
  const rt: BrokerRuntimeOptions = { logger, ...(runtime.principalBuilder ? { principalBuilder: runtime.principalBuilder } : {}), ...(runtime.systemProperties ? { systemProperties: runtime.systemProperties } : {}) };
  let broker: Broker;
  try {
    broker = await Broker.start(options, rt);
  } catch (err) {
    await rm(dir, { recursive: true, force: true }); // a broker that did not start leaves no dir behind
    throw err;
  }
  const t: TestBroker = {
    broker,
    dir,
    options,
    async restart() {
      await t.broker.close();
      t.broker = await Broker.start(options, rt);
    },
    async close() {
      await t.broker.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return t;
}

export function connect(b: Broker | TestBroker, opts: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const broker = b instanceof Broker ? b : b.broker;
  return Connection.connect({ host: '127.0.0.1', port: broker.port, ...opts });
}

export async function createTopic(
  conn: Connection,
  name: string,
  numPartitions = 1,
  configs: Record<string, string> = {},
): Promise<void> {
  const res = await conn.send(ApiKey.CreateTopics, {
    topics: [
      {
        name,
        numPartitions,
        replicationFactor: 1,
        assignments: [],
        configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
      },
    ],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  const t = res.topics[0]!;
  if (t.errorCode !== 0) throw new Error(`CreateTopics ${name}: error ${t.errorCode} ${t.errorMessage ?? ''}`);
}

export function batch(values: Array<string | ProducerRecord>, opts: Partial<EncodeBatchOptions> = {}): Buffer {
  return encodeRecordBatchSync({
    records: values.map((v) => (typeof v === 'string' ? { value: v } : v)),
    ...opts,
  });
}

/** A Produce request naming its topic by name (versions up to 12; v13 names topics by id). */
export function produceRequest(topic: string, partition: number, records: Buffer | null, acks = 1, timeoutMs = 10_000): ProduceRequest {
  return { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: partition, records }] }] };
}

export interface FetchSpec {
  topic: string;
  topicId?: string;
  partition?: number;
  offset: bigint | number;
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  partitionMaxBytes?: number;
  isolationLevel?: number;
}

export function fetchRequest(s: FetchSpec): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: s.maxWaitMs ?? 0,
    minBytes: s.minBytes ?? 1,
    maxBytes: s.maxBytes ?? 50 * 1024 * 1024,
    isolationLevel: s.isolationLevel ?? 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: s.topic,
        topicId: s.topicId ?? ZERO_UUID,
        partitions: [
          {
            partition: s.partition ?? 0,
            currentLeaderEpoch: -1,
            fetchOffset: BigInt(s.offset),
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: s.partitionMaxBytes ?? 1024 * 1024,
            replicaDirectoryId: ZERO_UUID,
            highWatermark: 0x7fffffffffffffffn, // not a replica: the field is not sent
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

export const LATEST = -1n;
export const EARLIEST = -2n;
export const MAX_TIMESTAMP = -3n;

export function listOffsetsRequest(topic: string, partition: number, timestamp: bigint, maxNumOffsets = 1): ListOffsetsRequest {
  return {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets }] }],
    timeoutMs: 0,
  };
}

/** The latest offset (log end) of a partition, with ListOffsets at the negotiated version. */
export async function latestOffset(conn: Connection, topic: string, partition = 0): Promise<bigint> {
  const res = await conn.send(ApiKey.ListOffsets, listOffsetsRequest(topic, partition, LATEST));
  const p = res.topics[0]!.partitions[0]!;
  if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${partition}: error ${p.errorCode}`);
  return p.offset;
}

/** A promise that rejects after `ms`, for bounding waits on events in tests. */
export function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/** A topic's id, from Metadata at the negotiated version. */
export async function topicId(conn: Connection, name: string): Promise<string> {
  const md = await conn.send(ApiKey.Metadata, {
    topics: [{ topicId: ZERO_UUID, name }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  const t = md.topics[0]!;
  if (t.errorCode !== 0) throw new Error(`Metadata ${name}: error ${t.errorCode}`);
  return t.topicId;
}
