import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { resolveLogConfig, type LogConfig } from './config.js';
import {
  CLEAN_SHUTDOWN_FILE,
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
  type TopicPartitionOffset,
} from './checkpoint.js';
import { LogClosedError } from './errors.js';
import { fsyncDir, writeFileAtomic } from './files.js';
import { Log, type LogOpenOptions } from './log.js';
import { META_PROPERTIES, randomKafkaUuid, readMetaProperties, writeMetaProperties } from './meta-properties.js';
import type { Decompress } from './record-scan.js';
import { LogCleaner, type CleanerConfig, type CleanerLogger } from './cleaner/log-cleaner.js';

export interface LogManagerOptions {
  /** log.dirs */
  logDirs: string[];
  /** node.id (verified against meta.properties on later starts). */
  nodeId: number;
  /** cluster.id; generated on the first start when absent. */
  clusterId?: string;
  /** Log defaults for every topic (the broker passes each topic's fully resolved config instead). */
  defaults?: Partial<LogConfig>;
  /** Per-topic overrides for logs found on disk at startup (from the metadata store). */
  topicConfig?: (topic: string) => Partial<LogConfig> | undefined;
  now?: () => number;
  decompress?: Decompress;
  /** log.flush.offset.checkpoint.interval.ms (60000). 0 disables the timer. */
  recoveryCheckpointIntervalMs?: number;
  /** log.flush.start.offset.checkpoint.interval.ms (60000). 0 disables the timer. */
  logStartOffsetCheckpointIntervalMs?: number;
  /** How often logs are checked against flush.ms (Kafka: log.flush.scheduler.interval.ms). Default 1000. */
  flushCheckIntervalMs?: number;
  /** log.retention.check.interval.ms (300000): how often retention runs (Log.deleteOldSegments). 0 disables it. */
  retentionCheckIntervalMs?: number;
  /** Logs loaded concurrently per dir (Kafka: num.recovery.threads.per.data.dir). Default 4. */
  recoveryThreadsPerDir?: number;
  /**
   * A replicated cluster: every log's high watermark moves only by Log.setHighWatermark and is
   * restored from replication-offset-checkpoint at startup. Default false (a single node: the
   * high watermark is the log end offset).
   */
  replicated?: boolean;
  /** Called for each log found on disk once it is open (its recoveryInfo says what loading found and did). */
  onLogLoaded?: (log: Log) => void;
  /** replica.high.watermark.checkpoint.interval.ms (5000): how often replication-offset-checkpoint is written. 0 disables the timer. */
  replicaHighWatermarkCheckpointIntervalMs?: number;
  /** The log cleaner's settings (log.cleaner.*); on by default, as in Kafka. */
  cleaner?: Partial<CleanerConfig> & { inline?: boolean };
  /** Where the cleaner reports what it did. */
  logger?: CleanerLogger;
}

export interface TopicPartitionKey {
  topic: string;
  partition: number;
}

const DELETE_DIR_SUFFIX = '-delete';
const PARTITION_METADATA = 'partition.metadata';

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** `<topic>-<partition>` -> parts; undefined for anything else (files, -delete/-future/-stray dirs). */
export function parsePartitionDirName(name: string): TopicPartitionKey | undefined {
  if (name.endsWith(DELETE_DIR_SUFFIX) || name.endsWith('-future') || name.endsWith('-stray')) return undefined;
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const p = name.slice(dash + 1);
  if (!/^\d+$/.test(p)) return undefined;
  return { topic: name.slice(0, dash), partition: Number(p) };
}

/** Kafka's LocalLog.logDeleteDirName: `<topic>-<partition>.<uuid hex>-delete`, capped at 255 chars. */
export function deleteDirName(topic: string, partition: number): string {
  const suffix = `-${partition}.${randomUUID().replaceAll('-', '')}${DELETE_DIR_SUFFIX}`;
  return topic.slice(0, Math.min(topic.length, 255 - suffix.length)) + suffix;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** A checkpoint file as a map by topic and partition; a missing or unreadable one is empty. */
async function readCheckpointMap(path: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    for (const e of await readOffsetCheckpoint(path)) out.set(key(e.topic, e.partition), e.offset);
  } catch {
    // each caller's fallback applies to every log (see loadDir)
  }
  return out;
}

async function limited<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  });
  await Promise.all(workers);
}

/**
 * All partition logs of this broker over log.dirs (Kafka's LogManager): load with recovery,
 * create, delete, checkpoints, meta.properties, the clean shutdown marker.
 */
export class LogManager {
  private readonly logs = new Map<string, { log: Log; dir: string }>();
  private readonly topicOverrides = new Map<string, Partial<LogConfig>>();
  private readonly creating = new Map<string, Promise<Log>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly background = new Set<Promise<unknown>>();
  /** Checkpoint files are rewritten through `<file>.tmp`: one write at a time. */
  private checkpointing: Promise<unknown> = Promise.resolve();
  private closed = false;
  private defaults: Partial<LogConfig>;
  readonly logDirs: string[];
  readonly now: () => number;
  clusterId = '';
  /** directory.id of each log dir, by absolute path. */
  readonly directoryIds = new Map<string, string>();
  /** Dirs that had a clean shutdown marker at startup. */
  readonly cleanShutdownDirs = new Set<string>();
  /** The log cleaner of compacted logs (cleaner/log-cleaner.ts). */
  cleaner!: LogCleaner;

  private constructor(private readonly opts: LogManagerOptions) {
    if (opts.logDirs.length === 0) throw new Error('log.dirs is empty');
    this.logDirs = opts.logDirs.map((d) => resolve(d));
    this.defaults = opts.defaults ?? {};
    this.now = opts.now ?? Date.now;
  }

  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(opts);
    await m.start();
    return m;
  }

  private async start(): Promise<void> {
    for (const dir of this.logDirs) await mkdir(dir, { recursive: true });
    await this.ensureMetaProperties();
    await Promise.all(this.logDirs.map((d) => this.loadDir(d)));
    // The marker covers one run only: a crash from here on must recover.
    for (const dir of this.logDirs) await rm(join(dir, CLEAN_SHUTDOWN_FILE), { force: true });
    const rpMs = this.opts.recoveryCheckpointIntervalMs ?? 60000;
    const lsoMs = this.opts.logStartOffsetCheckpointIntervalMs ?? 60000;
    const flushMs = this.opts.flushCheckIntervalMs ?? 1000;
    const hwMs = this.opts.replicaHighWatermarkCheckpointIntervalMs ?? 5000;
    if (rpMs > 0) this.every(rpMs, () => this.checkpointRecoveryOffsets());
    if (lsoMs > 0) this.every(lsoMs, () => this.checkpointLogStartOffsets());
    if (hwMs > 0) this.every(hwMs, () => this.checkpointHighWatermarks());
    if (flushMs > 0) this.every(flushMs, () => this.flushByTime());
    const retentionMs = this.opts.retentionCheckIntervalMs ?? 300_000;
    if (retentionMs > 0) this.every(retentionMs, async () => void (await this.deleteOldSegments()));
    const { inline, ...cleanerConfig } = this.opts.cleaner ?? {};
    this.cleaner = new LogCleaner(
      {
        logs: () => this.allLogs(),
        logDirOf: (l) => this.logDirOf(l.topic, l.partition),
        logDirs: this.logDirs,
        now: this.now,
        ...(this.opts.logger ? { logger: this.opts.logger } : {}),
        ...(inline ? { inline } : {}),
      },
      cleanerConfig,
    );
    await this.cleaner.start();
  }

  private every(ms: number, fn: () => Promise<void>): void {
    let running = false;
    const t = setInterval(() => {
      if (running || this.closed) return;
      running = true;
      this.track(fn().finally(() => (running = false)));
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined);
    this.background.add(q);
    void q.finally(() => this.background.delete(q));
  }

  private async ensureMetaProperties(): Promise<void> {
    const found = new Map<string, Awaited<ReturnType<typeof readMetaProperties>>>();
    for (const dir of this.logDirs) found.set(dir, await readMetaProperties(join(dir, META_PROPERTIES)));
    let clusterId = this.opts.clusterId;
    for (const [dir, m] of found) {
      if (!m) continue;
      if (m.nodeId !== this.opts.nodeId) {
        throw new Error(`${join(dir, META_PROPERTIES)}: node.id ${m.nodeId} does not match the configured node.id ${this.opts.nodeId}`);
      }
      if (m.clusterId) {
        if (clusterId && clusterId !== m.clusterId) {
          throw new Error(`${join(dir, META_PROPERTIES)}: cluster.id ${m.clusterId} does not match ${clusterId}`);
        }
        clusterId = m.clusterId;
      }
    }
    this.clusterId = clusterId ?? randomKafkaUuid();
    for (const [dir, m] of found) {
      if (m && m.clusterId === this.clusterId && m.directoryId) {
        this.directoryIds.set(dir, m.directoryId);
        continue;
      }
      const directoryId = m?.directoryId || randomKafkaUuid();
      await writeMetaProperties(join(dir, META_PROPERTIES), { version: 1, clusterId: this.clusterId, nodeId: this.opts.nodeId, directoryId });
      this.directoryIds.set(dir, directoryId);
    }
  }

  private async loadDir(dir: string): Promise<void> {
    const clean = await exists(join(dir, CLEAN_SHUTDOWN_FILE));
    if (clean) this.cleanShutdownDirs.add(dir);
    // A corrupt recovery point checkpoint means recover everything (recovery point 0); a corrupt
    // log start one falls back to the first segments' base offsets; a corrupt high watermark one
    // to the log start offsets (what a follower knows for sure; the leader's fetches raise it).
    const rps = await readCheckpointMap(join(dir, RECOVERY_POINT_CHECKPOINT));
    const lsos = await readCheckpointMap(join(dir, LOG_START_OFFSET_CHECKPOINT));
    const hws = await readCheckpointMap(join(dir, REPLICATION_OFFSET_CHECKPOINT));
    const toLoad: Array<{ name: string; tp: TopicPartitionKey }> = [];
    for (const ent of await readdir(dir, { withFileTypes: true })) {
      if (!ent.isDirectory()) continue;
      if (ent.name.endsWith(DELETE_DIR_SUFFIX)) {
        this.track(rm(join(dir, ent.name), { recursive: true, force: true }));
        continue;
      }
      const tp = parsePartitionDirName(ent.name);
      if (tp) toLoad.push({ name: ent.name, tp });
    }
    await limited(toLoad, this.opts.recoveryThreadsPerDir ?? 4, async ({ name, tp }) => {
      const k = key(tp.topic, tp.partition);
      if (this.logs.has(k)) throw new Error(`duplicate log directories for ${tp.topic}-${tp.partition}`);
      const log = await Log.open(join(dir, name), {
        topic: tp.topic,
        partition: tp.partition,
        config: this.configFor(tp.topic),
        recoveryPoint: clean ? Number.MAX_SAFE_INTEGER : (rps.get(k) ?? 0),
        hadCleanShutdown: clean,
        ...this.commonLogOptions(dir),
        ...(lsos.has(k) ? { logStartOffset: lsos.get(k)! } : {}),
        ...(hws.has(k) ? { highWatermark: hws.get(k)! } : {}),
      });
      this.logs.set(k, { log, dir });
      this.opts.onLogLoaded?.(log);
    });
  }

  /** What every Log of `dir` is opened with, found on disk or created. */
  private commonLogOptions(dir: string): Pick<LogOpenOptions, 'now' | 'decompress' | 'replicated' | 'afterTruncation'> {
    return {
      now: this.now,
      replicated: this.opts.replicated === true,
      // Kafka's LogManager.truncateTo checkpoints at once: the old recovery point would make a
      // restart skip the recovery of whatever is written again at the same offsets.
      afterTruncation: () => this.checkpointDir(dir),
      ...(this.opts.decompress ? { decompress: this.opts.decompress } : {}),
    };
  }

  private configFor(topic: string, extra?: Partial<LogConfig>): LogConfig {
    return resolveLogConfig(this.defaults, this.opts.topicConfig?.(topic), this.topicOverrides.get(topic), extra);
  }

  // ---------------------------------------------------------------------------------------------

  getLog(topic: string, partition: number): Log | undefined {
    return this.logs.get(key(topic, partition))?.log;
  }

  allLogs(): Log[] {
    return [...this.logs.values()].map((e) => e.log);
  }

  /** The log dir holding a partition. */
  logDirOf(topic: string, partition: number): string | undefined {
    return this.logs.get(key(topic, partition))?.dir;
  }

  /**
   * Returns the partition's log, creating it in the log dir with the fewest partitions. `config`
   * becomes the topic's override set (merged over the broker defaults). `topicId` (base64 Kafka
   * Uuid) is written to partition.metadata as Kafka does.
   */
  async getOrCreateLog(topic: string, partition: number, opts: { config?: Partial<LogConfig>; topicId?: string } = {}): Promise<Log> {
    if (this.closed) throw new LogClosedError('log manager');
    const existing = this.getLog(topic, partition);
    if (existing) return existing;
    const k = key(topic, partition);
    const inflight = this.creating.get(k);
    if (inflight) return inflight;
    const p = this.createLog(topic, partition, opts).finally(() => this.creating.delete(k));
    this.creating.set(k, p);
    return p;
  }

  private async createLog(topic: string, partition: number, opts: { config?: Partial<LogConfig>; topicId?: string }): Promise<Log> {
    if (opts.config) this.topicOverrides.set(topic, { ...this.topicOverrides.get(topic), ...opts.config });
    const counts = new Map(this.logDirs.map((d) => [d, 0]));
    for (const e of this.logs.values()) counts.set(e.dir, (counts.get(e.dir) ?? 0) + 1);
    let dir = this.logDirs[0]!;
    for (const d of this.logDirs) if (counts.get(d)! < counts.get(dir)!) dir = d;
    const pdir = join(dir, `${topic}-${partition}`);
    const log = await Log.open(pdir, {
      topic,
      partition,
      config: this.configFor(topic),
      recoveryPoint: 0,
      ...this.commonLogOptions(dir),
    });
    if (opts.topicId) await writeFileAtomic(join(pdir, PARTITION_METADATA), `version: 0\ntopic_id: ${opts.topicId}\n`);
    await fsyncDir(dir);
    this.logs.set(key(topic, partition), { log, dir });
    return log;
  }

  /**
   * Deletes a partition as Kafka does: close, rename the directory to
   * `<topic>-<partition>.<uuid>-delete`, remove it in the background.
   */
  async deleteLog(topic: string, partition: number): Promise<boolean> {
    const k = key(topic, partition);
    const e = this.logs.get(k);
    if (!e) return false;
    this.logs.delete(k);
    await e.log.closeForDelete();
    const target = join(e.dir, deleteDirName(topic, partition));
    await rename(e.log.dir, target);
    await fsyncDir(e.dir);
    this.track(rm(target, { recursive: true, force: true }));
    await this.checkpointDir(e.dir);
    return true;
  }

  /** Deletes every partition of a topic. */
  async deleteTopic(topic: string): Promise<number> {
    const parts = this.allLogs().filter((l) => l.topic === topic);
    for (const l of parts) await this.deleteLog(topic, l.partition);
    this.topicOverrides.delete(topic);
    return parts.length;
  }

  /** Replaces a topic's overrides and applies them to its open logs. */
  setTopicConfig(topic: string, overrides: Partial<LogConfig>): void {
    this.topicOverrides.set(topic, { ...overrides });
    for (const l of this.allLogs()) if (l.topic === topic) l.updateConfig(this.configFor(topic));
  }

  /** Replaces the broker defaults and applies them to every log. */
  setDefaults(defaults: Partial<LogConfig>): void {
    this.defaults = { ...defaults };
    for (const l of this.allLogs()) l.updateConfig(this.configFor(l.topic));
  }

  // ---------------------------------------------------------------------------------------------
  // Checkpoints

  private entries(dir: string, pick: (l: Log) => number): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const e of this.logs.values()) if (e.dir === dir) out.push({ topic: e.log.topic, partition: e.log.partition, offset: pick(e.log) });
    return out;
  }

  /** Writes one checkpoint file of `dir` with the current values (after the writes queued before it). */
  private writeCheckpoint(dir: string, file: string, pick: (l: Log) => number): Promise<void> {
    const run = this.checkpointing.then(() => writeOffsetCheckpoint(join(dir, file), this.entries(dir, pick)));
    this.checkpointing = run.catch(() => undefined);
    return run;
  }

  private async checkpointDir(dir: string): Promise<void> {
    await this.writeCheckpoint(dir, RECOVERY_POINT_CHECKPOINT, (l) => l.recoveryPoint);
    await this.writeCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT, (l) => l.logStartOffset);
    await this.writeCheckpoint(dir, REPLICATION_OFFSET_CHECKPOINT, (l) => l.highWatermark);
  }

  async checkpointRecoveryOffsets(): Promise<void> {
    for (const dir of this.logDirs) await this.writeCheckpoint(dir, RECOVERY_POINT_CHECKPOINT, (l) => l.recoveryPoint);
  }

  async checkpointLogStartOffsets(): Promise<void> {
    for (const dir of this.logDirs) await this.writeCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT, (l) => l.logStartOffset);
  }

  /** replication-offset-checkpoint: every log's high watermark (the log end offset when not replicated, as Kafka always has the file). */
  async checkpointHighWatermarks(): Promise<void> {
    for (const dir of this.logDirs) await this.writeCheckpoint(dir, REPLICATION_OFFSET_CHECKPOINT, (l) => l.highWatermark);
  }

  /** Retention on every log (see Log.deleteOldSegments); returns how many segments were deleted. */
  async deleteOldSegments(): Promise<number> {
    let n = 0;
    for (const l of this.allLogs()) {
      try {
        n += await l.deleteOldSegments();
      } catch {
        // a log closed or deleted meanwhile; the next round sees the current set
      }
    }
    return n;
  }

  private async flushByTime(): Promise<void> {
    for (const l of this.allLogs()) if (l.config.flushMs < Number.MAX_SAFE_INTEGER) await l.maybeFlushByTime();
  }

  async flushAll(): Promise<void> {
    await Promise.all(this.allLogs().map((l) => l.flush()));
  }

  /**
   * Clean shutdown: close every log (flush, producer snapshot), write the checkpoints, then the
   * `.kafka_cleanshutdown` marker so the next start skips recovery.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.cleaner.stop();
    await Promise.all([...this.background]);
    await Promise.all(this.allLogs().map((l) => l.close()));
    for (const dir of this.logDirs) {
      await this.checkpointDir(dir);
      await this.cleaner.writeCheckpoint(dir);
      await writeFile(join(dir, CLEAN_SHUTDOWN_FILE), JSON.stringify({ version: 0, brokerEpoch: -1 }));
      await fsyncDir(dir);
    }
    this.logs.clear();
  }
}
