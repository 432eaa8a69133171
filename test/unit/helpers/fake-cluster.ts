// A scripted three-broker cluster for the admin client and the cluster tools' tests: one loopback
// listener per broker over one shared, in-memory state (topics with leaders, replicas, ISR and
// eligible leader replicas, reassignments, configs, log directories). It answers the requests the
// admin client sends, with the rules the tests need and no more; tests change `state` directly to
// stage failures (a broker down, a leaderless partition, a reassignment in progress).
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../../src/protocol/framing.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ApiKey, apis, decodeRequestHeader, encodeResponseHeader, requestHeaderVersion, responseHeaderVersion, type ApiCodec } from '../../../src/protocol/messages/index.js';
import { Reader, Writer } from '../../../src/protocol/primitives/index.js';

export interface FakePartition {
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  elr: number[];
  lastKnownElr: number[];
}

export interface FakeTopic {
  topicId: string;
  partitions: FakePartition[];
  configs: Map<string, string>;
}

export interface FakeReassignment {
  target: number[];
  adding: number[];
  removing: number[];
}

export interface FakeState {
  brokers: Array<{ nodeId: number; port: number; alive: boolean }>;
  controllerId: number;
  topics: Map<string, FakeTopic>;
  /** `topic-partition` -> the move in progress; completed at once unless holdReassignments. */
  reassignments: Map<string, FakeReassignment>;
  holdReassignments: boolean;
  brokerConfigs: Map<number, Map<string, string>>;
  /** The APIs the brokers leave out of ApiVersions (to play an older broker). */
  withoutApis: Set<number>;
  /** Every request seen: [broker, apiKey]. */
  requests: Array<[number, number]>;
}

export interface FakeCluster {
  state: FakeState;
  bootstrap: string;
  addTopic(name: string, replicas: number[][], configs?: Record<string, string>): FakeTopic;
  /** Stops a broker's listener (its connections dropped) while Metadata still lists it: a broker dead but not fenced yet. */
  silence(nodeId: number): Promise<void>;
  close(): Promise<void>;
}

type Handler = (req: never, node: number, version: number) => unknown;

const MIN_ISR_DEFAULT = '1';

function leaderOf(s: FakeState, p: FakePartition): number {
  return s.brokers.find((b) => b.nodeId === p.leader)?.alive ? p.leader : -1;
}

function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

function handlers(s: FakeState): Partial<Record<number, Handler>> {
  const live = (): number[] => s.brokers.filter((b) => b.alive).map((b) => b.nodeId);
  const brokerList = () => s.brokers.filter((b) => b.alive).map((b) => ({ nodeId: b.nodeId, host: '127.0.0.1', port: b.port, rack: null }));
  const partitionView = (t: FakeTopic) =>
    t.partitions.map((p, i) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: i,
      leaderId: leaderOf(s, p),
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: p.replicas.filter((r) => !live().includes(r)),
    }));
  const assign = (n: number, rf: number): number[][] => {
    const ids = live();
    return Array.from({ length: n }, (_, p) => Array.from({ length: rf }, (_, r) => ids[(p + r) % ids.length]!));
  };
  return {
    [ApiKey.Metadata]: (req: { topics: Array<{ name: string | null }> | null }) => ({
      throttleTimeMs: 0,
      brokers: brokerList(),
      clusterId: 'fake-cluster',
      controllerId: s.controllerId,
      topics: (req.topics === null ? [...s.topics.keys()] : req.topics.map((t) => t.name ?? '')).map((name) => {
        const t = s.topics.get(name);
        return {
          errorCode: t ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          name,
          topicId: t?.topicId ?? '00000000-0000-0000-0000-000000000000',
          isInternal: false,
          partitions: t ? partitionView(t) : [],
          topicAuthorizedOperations: -2147483648,
        };
      }),
      clusterAuthorizedOperations: -2147483648,
      errorCode: ErrorCode.NONE,
    }),
    [ApiKey.DescribeTopicPartitions]: (req: { topics: Array<{ name: string }> }) => ({
      throttleTimeMs: 0,
      topics: req.topics.map(({ name }) => {
        const t = s.topics.get(name);
        return {
          errorCode: t ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          name,
          topicId: t?.topicId ?? '00000000-0000-0000-0000-000000000000',
          isInternal: false,
          partitions: t
            ? partitionView(t).map((p, i) => ({ ...p, eligibleLeaderReplicas: t.partitions[i]!.elr, lastKnownElr: t.partitions[i]!.lastKnownElr }))
            : [],
          topicAuthorizedOperations: -2147483648,
        };
      }),
      nextCursor: null,
    }),
    [ApiKey.CreateTopics]: (req: { topics: Array<{ name: string; numPartitions: number; replicationFactor: number; assignments: Array<{ partitionIndex: number; brokerIds: number[] }>; configs: Array<{ name: string; value: string | null }> }> }) => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        const base = { name: t.name, topicId: '00000000-0000-0000-0000-000000000000', topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: null };
        if (s.topics.has(t.name)) return { ...base, errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${t.name}' already exists.` };
        const replicas = t.assignments.length > 0 ? t.assignments.map((a) => a.brokerIds) : assign(t.numPartitions < 0 ? 1 : t.numPartitions, t.replicationFactor < 0 ? 1 : t.replicationFactor);
        const unknown = replicas.flat().find((b) => !s.brokers.some((x) => x.nodeId === b));
        if (unknown !== undefined) return { ...base, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `The manual partition assignment includes broker ${unknown}, but no such broker is registered.` };
        if (t.replicationFactor > s.brokers.length) return { ...base, errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: `Unable to replicate the partition ${t.replicationFactor} time(s)` };
        const topic = addTopic(s, t.name, replicas, Object.fromEntries(t.configs.map((c) => [c.name, c.value ?? ''])));
        return { ...base, topicId: topic.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
      }),
    }),
    [ApiKey.CreatePartitions]: (req: { topics: Array<{ name: string; count: number; assignments: Array<{ brokerIds: number[] }> | null }> }) => ({
      throttleTimeMs: 0,
      results: req.topics.map((t) => {
        const topic = s.topics.get(t.name);
        if (!topic) return { name: t.name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
        const have = topic.partitions.length;
        const extra = t.assignments ? t.assignments.map((a) => a.brokerIds) : assign(t.count - have, topic.partitions[0]!.replicas.length);
        for (const r of extra) topic.partitions.push({ leader: r[0]!, leaderEpoch: 0, replicas: r, isr: [...r], elr: [], lastKnownElr: [] });
        return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
      }),
    }),
    [ApiKey.DescribeConfigs]: (req: { resources: Array<{ resourceType: number; resourceName: string }> }) => ({
      throttleTimeMs: 0,
      results: req.resources.map((r) => {
        const t = s.topics.get(r.resourceName);
        const base = { resourceType: r.resourceType, resourceName: r.resourceName, errorMessage: null };
        if (r.resourceType !== 2) return { ...base, errorCode: ErrorCode.NONE, configs: [] };
        if (!t) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, configs: [] };
        const entry = (name: string, value: string, set: boolean) => ({ name, value, readOnly: false, isDefault: !set, configSource: set ? 1 : 5, isSensitive: false, synonyms: [], configType: 0, documentation: null });
        const configs = [...t.configs].map(([k, v]) => entry(k, v, true));
        if (!t.configs.has('min.insync.replicas')) configs.push(entry('min.insync.replicas', MIN_ISR_DEFAULT, false));
        return { ...base, errorCode: ErrorCode.NONE, configs };
      }),
    }),
    [ApiKey.IncrementalAlterConfigs]: (req: { resources: Array<{ resourceType: number; resourceName: string; configs: Array<{ name: string; configOperation: number; value: string | null }> }> }, node: number) => ({
      throttleTimeMs: 0,
      responses: req.resources.map((r) => {
        if (r.resourceType === 4 && r.resourceName !== '' && Number(r.resourceName) !== node) {
          return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${node}, but received ${r.resourceName}`, resourceType: r.resourceType, resourceName: r.resourceName };
        }
        const target = r.resourceType === 2 ? s.topics.get(r.resourceName)?.configs : (s.brokerConfigs.get(Number(r.resourceName)) ?? s.brokerConfigs.set(Number(r.resourceName), new Map()).get(Number(r.resourceName)));
        if (!target) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName };
        for (const c of r.configs) {
          if (c.configOperation === 1) target.delete(c.name);
          else target.set(c.name, c.value ?? '');
        }
        return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName };
      }),
    }),
    [ApiKey.ElectLeaders]: (req: { electionType: number; topicPartitions: Array<{ topic: string; partitions: number[] }> | null }) => {
      const asked = req.topicPartitions ?? [...s.topics].map(([topic, t]) => ({ topic, partitions: t.partitions.map((_, i) => i) }));
      const results: Array<{ topic: string; partitionResult: Array<{ partitionId: number; errorCode: number; errorMessage: string | null }> }> = [];
      for (const { topic, partitions } of asked) {
        const t = s.topics.get(topic);
        const partitionResult = [];
        for (const i of partitions) {
          const p = t?.partitions[i];
          if (!p) {
            partitionResult.push({ partitionId: i, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${topic}` });
            continue;
          }
          const current = leaderOf(s, p);
          const preferred = p.replicas[0]!;
          const candidate = req.electionType === 0 ? (live().includes(preferred) && p.isr.includes(preferred) ? preferred : -1) : (p.replicas.find((r) => live().includes(r)) ?? -1);
          let code: number = ErrorCode.NONE;
          if (req.electionType === 0 ? current === preferred : current >= 0) code = ErrorCode.ELECTION_NOT_NEEDED;
          else if (candidate < 0) code = req.electionType === 0 ? ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE : ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE;
          if (code === ErrorCode.NONE) {
            p.leader = candidate;
            p.leaderEpoch++;
            if (!p.isr.includes(candidate)) p.isr = [candidate];
          }
          // Asked for every partition, the broker names only those it acted on.
          if (req.topicPartitions === null && code === ErrorCode.ELECTION_NOT_NEEDED) continue;
          partitionResult.push({ partitionId: i, errorCode: code, errorMessage: null });
        }
        if (partitionResult.length > 0) results.push({ topic, partitionResult });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results };
    },
    [ApiKey.AlterPartitionReassignments]: (req: { topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; replicas: number[] | null }> }> }) => ({
      throttleTimeMs: 0,
      allowReplicationFactorChange: true,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((rp) => {
          const p = s.topics.get(t.name)?.partitions[rp.partitionIndex];
          const key = tpKey(t.name, rp.partitionIndex);
          const fail = (errorCode: number, errorMessage: string | null) => ({ partitionIndex: rp.partitionIndex, errorCode, errorMessage });
          if (!p) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
          const ongoing = s.reassignments.get(key);
          if (rp.replicas === null) {
            if (!ongoing) return fail(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null);
            p.replicas = p.replicas.filter((r) => !ongoing.adding.includes(r));
            s.reassignments.delete(key);
            return fail(ErrorCode.NONE, null);
          }
          const unknown = rp.replicas.find((b) => !s.brokers.some((x) => x.nodeId === b));
          if (unknown !== undefined) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`);
          if (s.holdReassignments) {
            const adding = rp.replicas.filter((r) => !p.replicas.includes(r));
            const removing = p.replicas.filter((r) => !rp.replicas!.includes(r));
            s.reassignments.set(key, { target: rp.replicas, adding, removing });
            p.replicas = [...rp.replicas, ...removing];
          } else {
            p.replicas = [...rp.replicas];
            p.isr = [...rp.replicas];
            if (!p.replicas.includes(p.leader)) p.leader = p.replicas[0]!;
          }
          return fail(ErrorCode.NONE, null);
        }),
      })),
    }),
    [ApiKey.ListPartitionReassignments]: (req: { topics: Array<{ name: string; partitionIndexes: number[] }> | null }) => {
      const wanted = req.topics === null ? null : new Set(req.topics.flatMap((t) => t.partitionIndexes.map((i) => tpKey(t.name, i))));
      const byTopic = new Map<string, Array<{ partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }>>();
      for (const [topic, t] of s.topics) {
        t.partitions.forEach((p, i) => {
          const r = s.reassignments.get(tpKey(topic, i));
          if (!r || (wanted && !wanted.has(tpKey(topic, i)))) return;
          byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partitionIndex: i, replicas: p.replicas, addingReplicas: r.adding, removingReplicas: r.removing }]);
        });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    },
    [ApiKey.DescribeLogDirs]: (_req: never, node: number) => {
      const topics = [...s.topics]
        .map(([name, t]) => ({ name, partitions: t.partitions.flatMap((p, i) => (p.replicas.includes(node) ? [{ partitionIndex: i, partitionSize: 0n, offsetLag: 0n, isFutureKey: false }] : [])) }))
        .filter((t) => t.partitions.length > 0);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [{ errorCode: ErrorCode.NONE, logDir: `/data/broker-${node}`, topics, totalBytes: -1n, usableBytes: -1n, isCordoned: false }] };
    },
  };
}

function addTopic(s: FakeState, name: string, replicas: number[][], configs: Record<string, string> = {}): FakeTopic {
  const t: FakeTopic = {
    topicId: randomUUID(),
    partitions: replicas.map((r) => ({ leader: r[0]!, leaderEpoch: 0, replicas: [...r], isr: [...r], elr: [], lastKnownElr: [] })),
    configs: new Map(Object.entries(configs)),
  };
  s.topics.set(name, t);
  return t;
}

function frame(apiKey: number, version: number, correlationId: number, codec: ApiCodec, body: unknown): Buffer {
  const w = new Writer();
  w.writeInt32(0);
  encodeResponseHeader(w, { correlationId }, responseHeaderVersion(apiKey, version));
  codec.encodeResponse(w, body, version);
  const b = w.toBuffer();
  b.writeInt32BE(b.length - 4, 0);
  return b;
}

export async function startFakeCluster(nodeIds: readonly number[] = [1, 2, 3]): Promise<FakeCluster> {
  const state: FakeState = {
    brokers: [],
    controllerId: nodeIds[0]!,
    topics: new Map(),
    reassignments: new Map(),
    holdReassignments: false,
    brokerConfigs: new Map(),
    withoutApis: new Set(),
    requests: [],
  };
  const serve = handlers(state);
  const servers: Server[] = [];
  const sockets = new Map<Socket, number>();
  for (const nodeId of nodeIds) {
    const server = createServer((socket) => {
      sockets.set(socket, nodeId);
      socket.on('close', () => sockets.delete(socket));
      const frames = new FrameDecoder({
        maxFrameBytes: 1 << 20,
        onFrame: (f) => {
          const r = new Reader(f);
          const apiKey = f.readInt16BE(0);
          const version = f.readInt16BE(2);
          const h = decodeRequestHeader(r, requestHeaderVersion(apiKey, version));
          const codec = apis.get(apiKey)!;
          state.requests.push([nodeId, apiKey]);
          if (apiKey === ApiKey.ApiVersions) {
            const apiKeys = [ApiKey.ApiVersions, ...Object.keys(serve).map(Number)]
              .filter((k) => !state.withoutApis.has(k))
              .map((k) => ({ apiKey: k, minVersion: apis.get(k)!.minVersion, maxVersion: apis.get(k)!.maxVersion }));
            const body = { errorCode: 0, apiKeys, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false };
            socket.write(frame(apiKey, Math.min(version, 3), h.correlationId, codec, body));
            return;
          }
          const handle = serve[apiKey];
          if (!handle) {
            socket.destroy();
            return;
          }
          socket.write(frame(apiKey, version, h.correlationId, codec, handle(codec.decodeRequest(r, version) as never, nodeId, version)));
        },
        onBadSize: () => socket.destroy(),
      });
      socket.on('data', (chunk: Buffer) => frames.push(chunk));
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    servers.push(server);
    state.brokers.push({ nodeId, port: (server.address() as { port: number }).port, alive: true });
  }
  return {
    state,
    bootstrap: `127.0.0.1:${state.brokers[0]!.port}`,
    addTopic: (name, replicas, configs) => addTopic(state, name, replicas, configs),
    async silence(nodeId) {
      const srv = servers[nodeIds.indexOf(nodeId)]!;
      for (const [s, n] of sockets) if (n === nodeId) s.destroy();
      if (srv.listening) await new Promise<void>((res) => srv.close(() => res()));
    },
    async close() {
      for (const s of sockets.keys()) s.destroy();
      await Promise.all(servers.filter((srv) => srv.listening).map((srv) => new Promise<void>((res) => srv.close(() => res()))));
    },
  };
}
