/**
 * Partition leadership as the handlers see it: which partitions this broker leads, at which
 * leader epoch, and how a leader appends (acks=-1 waits for the in-sync replicas). Two
 * implementations: SingleNodeReplicas (this broker leads every partition at epoch 0, its log end
 * is its high watermark) and, in a cluster, cluster/replica-manager.ts.
 */
import { ErrorCode } from '../protocol/errors.js';
import { StorageError } from '../storage/errors.js';
import type { AppendResult, PartitionLog } from '../storage/partition-log.js';
import type { TopicManager } from './metadata/topics.js';

export interface PartitionInfo {
  /** -1: no leader (offline, or not elected yet). */
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** Replicas on brokers that are not live. */
  offline: readonly number[];
  /**
   * Replicas that may still lead cleanly although outside the ISR: while a partition has no
   * leader, the ISR it had (its members hold every acknowledged record). Kafka 4 calls these
   * eligible leader replicas (KIP-966) and shows them so, with an empty ISR; so does this.
   */
  elr: readonly number[];
}

export type LeaderLookup =
  | { ok: true; log: PartitionLog; leaderEpoch: number }
  /** Why not: NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION; with the leader as known. */
  | { ok: false; errorCode: number; leaderId: number; leaderEpoch: number };

export interface LeaderAppendOptions {
  /** 1: answered after the leader's append; -1: after the in-sync replicas have it too. */
  acks: number;
  /** How long acks=-1 waits (the request's timeout): REQUEST_TIMED_OUT after. */
  timeoutMs: number;
  logAppendTime?: bigint;
  origin?: 'client' | 'coordinator';
}

export interface LiveBroker {
  id: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface Replicas {
  /** True in a cluster. */
  readonly clustered: boolean;
  /**
   * The live brokers, or null on a single node (the handler answers with its own listener). With
   * `listener`, each at its endpoint of that listener name; brokers that do not advertise it are
   * left out, as Kafka leaves them out of Metadata.
   */
  liveBrokers(listener?: string): LiveBroker[] | null;
  /** The controller's id (-1: none elected right now). */
  controllerId(): number;
  /** Leader, epoch, replicas and ISR of a partition of a known topic. */
  partition(topic: string, partition: number): PartitionInfo;
  /** The partition's log when this broker leads it and `currentLeaderEpoch` (-1: unchecked) is its epoch. */
  leader(topic: string, partition: number, currentLeaderEpoch?: number): LeaderLookup;
  /** A leader's append: stamps the leader epoch; acks=-1 waits for the ISR. Rejects with a StorageError. */
  appendAsLeader(topic: string, partition: number, records: Buffer, opts: LeaderAppendOptions): Promise<AppendResult>;
  /**
   * A follower's fetch reached the leader: `fetchOffset` is its log end. The leader's log when
   * this broker leads the partition at that epoch (the HW and ISR follow), else why not.
   */
  followerFetch(topic: string, partition: number, replicaId: number, fetchOffset: number, currentLeaderEpoch: number): LeaderLookup;
  /** The broker leading a partition of __consumer_offsets (FindCoordinator), -1 when none. */
  leaderId(topic: string, partition: number): number;
  /** Partition reassignments in progress: current replicas, those being added and removed. */
  reassignments(): ReassignmentInfo[];
}

export interface ReassignmentInfo {
  topic: string;
  partition: number;
  replicas: number[];
  adding: number[];
  removing: number[];
}

/** A check of the client's leader epoch against ours (KIP-320): the error, or NONE. */
export function epochError(currentLeaderEpoch: number, leaderEpoch: number): number {
  if (currentLeaderEpoch < 0 || currentLeaderEpoch === leaderEpoch) return ErrorCode.NONE;
  return currentLeaderEpoch < leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
}

/** One broker: it leads every partition of every topic at leader epoch 0. */
export class SingleNodeReplicas implements Replicas {
  readonly clustered = false;

  constructor(
    private readonly nodeId: number,
    private readonly topics: TopicManager,
  ) {}

  liveBrokers(): null {
    return null;
  }

  controllerId(): number {
    return this.nodeId;
  }

  partition(): PartitionInfo {
    return { leader: this.nodeId, leaderEpoch: 0, replicas: [this.nodeId], isr: [this.nodeId], offline: [], elr: [] };
  }

  leader(topic: string, partition: number, currentLeaderEpoch = -1): LeaderLookup {
    const log = this.topics.partitionLog(topic, partition);
    if (!log) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderId: -1, leaderEpoch: -1 };
    const e = epochError(currentLeaderEpoch, 0);
    if (e !== ErrorCode.NONE) return { ok: false, errorCode: e, leaderId: this.nodeId, leaderEpoch: 0 };
    return { ok: true, log, leaderEpoch: 0 };
  }

  appendAsLeader(topic: string, partition: number, records: Buffer, opts: LeaderAppendOptions): Promise<AppendResult> {
    const log = this.topics.partitionLog(topic, partition);
    if (!log) return Promise.reject(new StorageError(`${topic}-${partition} is not hosted here`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    return log.append(records, {
      leaderEpoch: 0,
      ...(opts.logAppendTime !== undefined ? { logAppendTime: opts.logAppendTime } : {}),
      ...(opts.origin ? { origin: opts.origin } : {}),
    });
  }

  followerFetch(): LeaderLookup {
    // No other broker exists: a replica fetch is a client's mistake.
    return { ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: this.nodeId, leaderEpoch: 0 };
  }

  leaderId(): number {
    return this.nodeId;
  }

  reassignments(): ReassignmentInfo[] {
    return [];
  }
}
