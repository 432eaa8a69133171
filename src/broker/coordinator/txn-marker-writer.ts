/**
 * How a transaction marker reaches a partition. `writeMarkersLocally` is the partition leader's
 * side (Kafka's handleWriteTxnMarkersRequest), shared by the WriteTxnMarkers handler and by the
 * transaction coordinator for the partitions this broker leads:
 *
 *  - a data partition gets the COMMIT/ABORT control batch appended as a coordinator write
 *    (acks=-1, within request.timeout.ms); the log ends the producer's transaction;
 *  - a partition of __consumer_offsets goes through the group coordinator
 *    (`completeTransaction`), so the offsets committed in the transaction become visible (or are
 *    dropped) as the marker is stored; its "not coordinator" answers become NOT_LEADER_OR_FOLLOWER,
 *    which the transaction coordinator retries.
 *
 * BrokerMarkerWriter is the coordinator's MarkerWriter: partitions led here are written locally,
 * others with WriteTxnMarkers to their leader (a cluster's peers). A partition without a leader is
 * retried; a partition of a topic that no longer exists is skipped, as Kafka skips it.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { encodeEndTxnMarker } from '../../protocol/records/control.js';
import { StorageError } from '../../storage/errors.js';
import type { Peers } from '../cluster/peers.js';
import type { Logger } from '../logger.js';
import type { TopicManager } from '../metadata/topics.js';
import type { Replicas } from '../replicas.js';
import { OFFSETS_TOPIC } from './storage.js';
import type { MarkerWriter, TxnMarker } from './txn-markers.js';
import type { TopicPartition } from './txn-metadata.js';

/** The group coordinator's side of a marker on __consumer_offsets (helper G's seam). */
export interface GroupTxnCompletion {
  completeTransaction?(partition: number, producerId: bigint, producerEpoch: number, coordinatorEpoch: number, commit: boolean, timeoutMs: number): Promise<number>;
}

export interface LocalMarkerDeps {
  replicas: Replicas;
  topics: TopicManager;
  /** The group coordinator; its `completeTransaction` (GroupTxnCompletion) is used when it has one. */
  groups: object;
  timeoutMs: number;
  log?: Logger;
  now(): number;
}

export interface MarkerResult {
  tp: TopicPartition;
  errorCode: number;
}

const GROUP_NOT_READY: ReadonlySet<number> = new Set([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR]);

async function writeOne(deps: LocalMarkerDeps, marker: TxnMarker, tp: TopicPartition): Promise<number> {
  if (!deps.topics.get(tp.topic)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  // Until the group coordinator has completeTransaction, the marker is appended like any other.
  const groups = deps.groups as GroupTxnCompletion;
  const completeTransaction = groups.completeTransaction?.bind(groups);
  if (tp.topic === OFFSETS_TOPIC && completeTransaction) {
    const code = await completeTransaction(tp.partition, marker.producerId, marker.producerEpoch, marker.coordinatorEpoch, marker.commit, deps.timeoutMs);
    return GROUP_NOT_READY.has(code) ? ErrorCode.NOT_LEADER_OR_FOLLOWER : code;
  }
  const lead = deps.replicas.leader(tp.topic, tp.partition);
  if (!lead.ok) return lead.errorCode;
  try {
    const batch = encodeEndTxnMarker({ producerId: marker.producerId, producerEpoch: marker.producerEpoch, coordinatorEpoch: marker.coordinatorEpoch, commit: marker.commit }, deps.now());
    await deps.replicas.appendAsLeader(tp.topic, tp.partition, batch, { acks: -1, timeoutMs: deps.timeoutMs, origin: 'coordinator' });
    return ErrorCode.NONE;
  } catch (err) {
    if (err instanceof StorageError) return err.code;
    deps.log?.error({ err, topic: tp.topic, partition: tp.partition }, 'cannot write a transaction marker');
    return ErrorCode.KAFKA_STORAGE_ERROR;
  }
}

/** Writes the marker to partitions this broker leads (or answers why not), all at once. */
export function writeMarkersLocally(deps: LocalMarkerDeps, marker: TxnMarker, partitions: readonly TopicPartition[]): Promise<MarkerResult[]> {
  return Promise.all(partitions.map(async (tp) => ({ tp, errorCode: await writeOne(deps, marker, tp) })));
}

export interface BrokerMarkerWriterDeps extends LocalMarkerDeps {
  nodeId: number;
  peers: Peers | null;
}

export class BrokerMarkerWriter implements MarkerWriter {
  constructor(private readonly deps: BrokerMarkerWriterDeps) {}

  async write(marker: TxnMarker, partitions: readonly TopicPartition[]): Promise<MarkerResult[]> {
    const d = this.deps;
    const out: MarkerResult[] = [];
    const local: TopicPartition[] = [];
    const remote = new Map<number, TopicPartition[]>();
    for (const tp of partitions) {
      const t = d.topics.get(tp.topic);
      if (!t || tp.partition >= t.partitions) {
        d.log?.info({ topic: tp.topic, partition: tp.partition }, 'skipping the transaction marker of a partition that no longer exists');
        out.push({ tp, errorCode: ErrorCode.NONE });
        continue;
      }
      const leader = d.peers ? d.replicas.leaderId(tp.topic, tp.partition) : d.nodeId;
      if (leader === d.nodeId) local.push(tp);
      else if (leader < 0 || !d.peers) out.push({ tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
      else remote.set(leader, [...(remote.get(leader) ?? []), tp]);
    }
    const sends: Array<Promise<MarkerResult[]>> = [writeMarkersLocally(d, marker, local)];
    for (const [broker, tps] of remote) sends.push(this.sendTo(broker, marker, tps));
    for (const r of await Promise.all(sends)) out.push(...r);
    return out;
  }

  private async sendTo(broker: number, marker: TxnMarker, tps: TopicPartition[]): Promise<MarkerResult[]> {
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    try {
      const res = await this.deps.peers!.send(
        broker,
        27,
        {
          markers: [
            {
              producerId: marker.producerId,
              producerEpoch: marker.producerEpoch,
              transactionResult: marker.commit,
              topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
              coordinatorEpoch: marker.coordinatorEpoch,
              transactionVersion: marker.transactionVersion,
            },
          ],
        },
        { timeoutMs: this.deps.timeoutMs + 5_000, channel: 'txn-markers' },
      );
      const got = new Map<string, number>();
      for (const m of res.markers) for (const t of m.topics) for (const p of t.partitions) got.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
      return tps.map((tp) => ({ tp, errorCode: got.get(`${tp.topic}\u0000${tp.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR }));
    } catch (err) {
      this.deps.log?.info({ err, broker }, 'cannot send transaction markers; retrying');
      return tps.map((tp) => ({ tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
    }
  }
}
