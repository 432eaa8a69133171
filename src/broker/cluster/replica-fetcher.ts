/**
 * A follower's replication from one leader (Kafka's ReplicaFetcherThread): one loop per leader
 * broker, fetching every partition this broker follows there in one Fetch request (replica_id =
 * this broker), and appending what comes back as it is (offsets, leader epochs and producer
 * state kept). Before its first fetch from a new leader a partition is truncated to where the two
 * logs agree (KIP-101, KIP-279): the follower asks the leader (OffsetsForLeaderEpoch) where its
 * own latest epoch ends there, and drops everything past that. Then the leader's high watermark
 * and log start offset follow each response.
 *
 * Errors: OFFSET_OUT_OF_RANGE below the leader's log start restarts the log there; the leader's
 * NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH park the partition until the cluster view names
 * its next leader (the replica manager then moves it); UNKNOWN_LEADER_EPOCH (the leader has not
 * learned its epoch yet) and lost connections retry after replica.fetch.backoff.ms.
 */
import { ErrorCode, errorInfo } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import { truncationOffset } from '../../storage/leader-epoch-cache.js';
import { OffsetMismatchError } from '../../storage/errors.js';
import type { Logger } from '../logger.js';
import type { Peers } from './peers.js';

/** The versions followers speak to leaders (both are Tributary brokers). */
export const REPLICA_FETCH_VERSION = 12;
export const OFFSETS_FOR_LEADER_EPOCH_VERSION = 4;

export interface FollowedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  /** The leader epoch this broker follows at. */
  readonly leaderEpoch: number;
  /** True until truncated for this leader epoch. */
  truncate: boolean;
  /** Parked (the leader refused it): no fetch until the replica manager moves it. */
  parked: boolean;
}

export interface FetcherSettings {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitionMaxBytes: number;
  backoffMs: number;
  requestTimeoutMs: number;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** The partitions by topic, in the order they came (one request entry per topic). */
function groupByTopic(parts: readonly FollowedPartition[]): Map<string, FollowedPartition[]> {
  const byTopic = new Map<string, FollowedPartition[]>();
  for (const p of parts) {
    const list = byTopic.get(p.topic);
    if (list) list.push(p);
    else byTopic.set(p.topic, [p]);
  }
  return byTopic;
}

export class ReplicaFetcher {
  private readonly parts = new Map<string, FollowedPartition>();
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Per partition, the error last logged at warn (removed once the partition is served). */
  private readonly warned = new WeakMap<FollowedPartition, number>();
  /** The last failure logged at warn (null after a fetch succeeded). */
  private lastFailure: string | null = null;
  private readonly abort = new AbortController();
  private wakeBackoff: (() => void) | null = null;

  constructor(
    readonly leaderId: number,
    private readonly selfId: number,
    private readonly peers: Peers,
    private readonly settings: FetcherSettings,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.parts.size;
  }

  add(p: FollowedPartition): void {
    this.parts.set(key(p.topic, p.partition), p);
    this.wakeBackoff?.();
    if (!this.running && !this.stopped) {
      this.running = this.loop().finally(() => {
        this.running = null;
        if (!this.stopped && this.parts.size > 0) this.add([...this.parts.values()][0]!);
      });
    }
  }

  /** Stops following a partition; a response in flight for it is dropped. */
  remove(p: FollowedPartition): void {
    const k = key(p.topic, p.partition);
    if (this.parts.get(k) === p) this.parts.delete(k);
  }

  private current(p: FollowedPartition): boolean {
    return !this.stopped && this.parts.get(key(p.topic, p.partition)) === p;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wakeBackoff?.();
    await this.running;
  }

  private backoff(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeBackoff = null;
        resolve();
      };
      const timer = setTimeout(done, this.settings.backoffMs);
      this.wakeBackoff = done;
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.parts.size > 0) {
      try {
        const truncating = [...this.parts.values()].filter((p) => p.truncate && !p.parked);
        if (truncating.length > 0) await this.truncate(truncating);
        const fetching = [...this.parts.values()].filter((p) => !p.truncate && !p.parked);
        if (fetching.length === 0) {
          await this.backoff();
          continue;
        }
        if (await this.fetch(fetching)) this.lastFailure = null;
        else await this.backoff();
      } catch (err) {
        if (this.stopped) return;
        // Once per distinct failure at warn (a failed inter-broker login, a certificate the leader
        // refuses, an unreachable leader), then at debug while it repeats.
        const message = err instanceof Error ? err.message : String(err);
        if (message !== this.lastFailure) this.log.warn({ err: message, leader: this.leaderId }, 'replica fetch failed; retrying (logged again when the failure changes)');
        else this.log.debug({ err, leader: this.leaderId }, 'replica fetch failed; retrying');
        this.lastFailure = message;
        await this.backoff();
      }
    }
  }

  /** KIP-279: ask the leader where our latest epoch ends on its side, and cut our log there. */
  private async truncate(parts: readonly FollowedPartition[]): Promise<void> {
    const byTopic = groupByTopic(parts);
    const res = await this.peers.send(
      this.leaderId,
      ApiKey.OffsetForLeaderEpoch,
      {
        replicaId: this.selfId,
        topics: [...byTopic].map(([topic, ps]) => ({
          topic,
          partitions: ps.map((p) => ({ partition: p.partition, currentLeaderEpoch: p.leaderEpoch, leaderEpoch: p.log.latestEpoch })),
        })),
      },
      { version: OFFSETS_FOR_LEADER_EPOCH_VERSION, timeoutMs: this.settings.requestTimeoutMs, signal: this.abort.signal },
    );
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const p = byTopic.get(t.topic)?.find((x) => x.partition === r.partition);
        if (!p || !this.current(p)) continue;
        if (r.errorCode !== ErrorCode.NONE) {
          this.onPartitionError(p, r.errorCode);
          continue;
        }
        const log = p.log;
        const target = truncationOffset((e) => log.endOffsetForEpoch(e), log.logEndOffset, log.highWatermark, { leaderEpoch: r.leaderEpoch, endOffset: Number(r.endOffset) });
        if (target < log.logEndOffset) {
          this.log.info({ topic: p.topic, partition: p.partition, from: log.logEndOffset, to: target, leader: this.leaderId, epoch: p.leaderEpoch }, 'truncating follower log to the leader epoch end offset');
          await log.truncateTo(target);
        }
        p.truncate = false;
        this.warned.delete(p);
      }
    }
  }

  /** One Fetch round; false when nothing came back and the round should back off. */
  private async fetch(parts: readonly FollowedPartition[]): Promise<boolean> {
    const byTopic = groupByTopic(parts);
    const s = this.settings;
    const res = await this.peers.send(
      this.leaderId,
      ApiKey.Fetch,
      {
        clusterId: null,
        replicaId: this.selfId,
        replicaState: { replicaId: -1, replicaEpoch: -1n },
        maxWaitMs: s.maxWaitMs,
        minBytes: s.minBytes,
        maxBytes: s.maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, ps]) => ({
          topic,
          topicId: ZERO_UUID,
          partitions: ps.map((p) => ({
            partition: p.partition,
            currentLeaderEpoch: p.leaderEpoch,
            fetchOffset: BigInt(p.log.logEndOffset),
            lastFetchedEpoch: -1,
            logStartOffset: BigInt(p.log.logStartOffset),
            partitionMaxBytes: s.partitionMaxBytes,
            replicaDirectoryId: ZERO_UUID,
            highWatermark: BigInt(p.log.highWatermark),
          })),
        })),
        forgottenTopicsData: [],
        rackId: '',
      },
      { version: REPLICA_FETCH_VERSION, timeoutMs: s.maxWaitMs + s.requestTimeoutMs, signal: this.abort.signal },
    );
    if (res.errorCode !== ErrorCode.NONE) {
      this.log.warn({ leader: this.leaderId, error: errorInfo(res.errorCode).name }, 'replica fetch refused');
      return false;
    }
    // Whether any partition was served (a long poll that came back empty has waited already).
    let served = false;
    for (const t of res.responses) {
      for (const r of t.partitions) {
        const p = byTopic.get(t.topic)?.find((x) => x.partition === r.partitionIndex);
        if (!p || !this.current(p)) continue;
        const log = p.log;
        if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          await this.outOfRange(p, Number(r.logStartOffset), Number(r.highWatermark));
          served = true;
          continue;
        }
        if (r.errorCode !== ErrorCode.NONE) {
          this.onPartitionError(p, r.errorCode);
          continue;
        }
        served = true;
        this.warned.delete(p);
        if (r.records && r.records.length > 0) await this.append(p, r.records);
        if (!this.current(p)) continue;
        const hw = Math.min(Number(r.highWatermark), log.logEndOffset);
        if (hw > log.highWatermark) log.setHighWatermark(hw);
        const leaderStart = Number(r.logStartOffset);
        if (leaderStart > log.logStartOffset && leaderStart <= log.highWatermark) await log.deleteRecordsBefore(leaderStart);
      }
    }
    return served;
  }

  /**
   * Copies the leader's batches. An empty log whose start falls inside the leader's first batch
   * (DeleteRecords moved the start into a batch) restarts at that batch's base, as Kafka's
   * follower does; any other mismatch means the logs diverged: truncate again.
   */
  private async append(p: FollowedPartition, records: Buffer): Promise<void> {
    const log = p.log;
    try {
      await log.appendAsFollower(records);
    } catch (err) {
      if (!(err instanceof OffsetMismatchError)) throw err;
      if (err.batchIndex === 0 && log.logEndOffset === log.logStartOffset && err.baseOffset < log.logEndOffset && err.lastOffset >= log.logEndOffset) {
        await log.truncateFullyAndStartAt(err.baseOffset);
        await log.appendAsFollower(records);
        return;
      }
      this.log.warn({ topic: p.topic, partition: p.partition, err: err.message }, "follower log does not continue where the leader's batches start; truncating again");
      p.truncate = true;
    }
  }

  private async outOfRange(p: FollowedPartition, leaderStart: number, leaderHw: number): Promise<void> {
    const log = p.log;
    if (log.logEndOffset < leaderStart) {
      this.log.info({ topic: p.topic, partition: p.partition, from: log.logEndOffset, to: leaderStart }, "follower log restarts at the leader's log start offset");
      await log.truncateFullyAndStartAt(leaderStart);
    } else {
      // Ahead of the leader: find where we agree again.
      this.log.warn({ topic: p.topic, partition: p.partition, end: log.logEndOffset, leaderHw }, 'follower is ahead of its leader; truncating again');
      p.truncate = true;
    }
  }

  private onPartitionError(p: FollowedPartition, code: number): void {
    if (code === ErrorCode.UNKNOWN_LEADER_EPOCH || code === ErrorCode.NOT_LEADER_OR_FOLLOWER) {
      // The leader has not learned its new epoch yet (or not that it leads): try again later.
      return;
    }
    if (code === ErrorCode.FENCED_LEADER_EPOCH || code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      p.parked = true;
      return;
    }
    // At warn once per partition and error (e.g. TOPIC_AUTHORIZATION_FAILED while this broker's
    // principal lacks CLUSTER_ACTION), then at debug while it repeats at every backoff.
    const fields = { topic: p.topic, partition: p.partition, leader: this.leaderId, error: errorInfo(code).name };
    if (this.warned.get(p) === code) return void this.log.debug(fields, 'replica fetch of a partition failed');
    this.warned.set(p, code);
    this.log.warn(fields, 'replica fetch of a partition failed (logged again when the error changes)');
  }
}

