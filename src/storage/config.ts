/**
 * Per-log configuration: Kafka's topic-level keys (segment.bytes, ...). The broker resolves each
 * key against its own defaults (log.segment.bytes, log.roll.hours, ...) before handing it here
 * (BrokerConfig.resolveTopicConfig), so the synonym rules live in one place. Values are numbers;
 * "never" is Number.MAX_SAFE_INTEGER.
 */
export interface LogConfig {
  /** segment.bytes / log.segment.bytes (1 GiB). */
  segmentBytes: number;
  /** segment.ms / log.roll.ms (7 days). */
  segmentMs: number;
  /** segment.index.bytes / log.index.size.max.bytes (10 MiB). */
  segmentIndexBytes: number;
  /** index.interval.bytes / log.index.interval.bytes (4096). */
  indexIntervalBytes: number;
  /** flush.messages / log.flush.interval.messages (never). */
  flushMessages: number;
  /** flush.ms / log.flush.interval.ms (never). */
  flushMs: number;
  /** retention.ms (7 days; negative = unlimited): Log.deleteOldSegments, with cleanup.policy delete. */
  retentionMs: number;
  /** retention.bytes (-1 = unlimited): Log.deleteOldSegments, with cleanup.policy delete. */
  retentionBytes: number;
  /** cleanup.policy includes `delete` (the default): retention applies. `compact` alone: it does not. */
  cleanupDelete: boolean;
  /** cleanup.policy includes `compact`: the validator refuses records without a key. */
  compact: boolean;
  /** message.timestamp.type: CreateTime or LogAppendTime. The validator applies it. */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /**
   * message.timestamp.before.max.ms (never): how far a CreateTime record may be behind the
   * broker's clock. The validator applies it.
   */
  messageTimestampBeforeMaxMs: number;
  /**
   * message.timestamp.after.max.ms (3600000, one hour, since Kafka 4.0): how far a CreateTime
   * record may be ahead of the broker's clock. The validator applies it.
   */
  messageTimestampAfterMaxMs: number;
  /** max.message.bytes / message.max.bytes (1048588). The broker's validator applies it. */
  maxMessageBytes: number;
  /** file.delete.delay.ms (60000): how long a deleted segment's files linger as *.deleted. */
  fileDeleteDelayMs: number;
  /** delete.retention.ms / log.cleaner.delete.retention.ms (1 day): how long the cleaner keeps tombstones and markers after it first kept them. */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms / log.cleaner.min.compaction.lag.ms (0): records younger than this are not compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms / log.cleaner.max.compaction.lag.ms (never): a dirty record older than this makes the log cleanable whatever its ratio. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio / log.cleaner.min.cleanable.ratio (0.5): the dirty share of the log above which it is cleaned. */
  minCleanableRatio: number;
}

export const NEVER = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  flushMessages: NEVER,
  flushMs: NEVER,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  cleanupDelete: true,
  compact: false,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: NEVER,
  messageTimestampAfterMaxMs: 3600000,
  maxMessageBytes: 1048588,
  fileDeleteDelayMs: 60000,
  deleteRetentionMs: 86400000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableRatio: 0.5,
});

/** Topic-level config key -> LogConfig field. */
export const TOPIC_CONFIG_KEYS: Readonly<Record<string, keyof LogConfig>> = Object.freeze({
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
  'segment.index.bytes': 'segmentIndexBytes',
  'index.interval.bytes': 'indexIntervalBytes',
  'flush.messages': 'flushMessages',
  'flush.ms': 'flushMs',
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'cleanup.policy': 'cleanupDelete',
  'message.timestamp.type': 'messageTimestampType',
  'message.timestamp.before.max.ms': 'messageTimestampBeforeMaxMs',
  'message.timestamp.after.max.ms': 'messageTimestampAfterMaxMs',
  'max.message.bytes': 'maxMessageBytes',
  'file.delete.delay.ms': 'fileDeleteDelayMs',
  'delete.retention.ms': 'deleteRetentionMs',
  'min.compaction.lag.ms': 'minCompactionLagMs',
  'max.compaction.lag.ms': 'maxCompactionLagMs',
  'min.cleanable.dirty.ratio': 'minCleanableRatio',
});

/**
 * Kafka's LogConfig.maxSegmentMs: a compacted log rolls its active segment by max.compaction.lag.ms
 * too, so its records can be cleaned in time.
 */
export function effectiveSegmentMs(cfg: Readonly<LogConfig>): number {
  return cfg.compact && cfg.maxCompactionLagMs > 0 ? Math.min(cfg.maxCompactionLagMs, cfg.segmentMs) : cfg.segmentMs;
}


function toNumber(key: string, v: string | number): number {
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || !Number.isInteger(n)) throw new Error(`invalid value for ${key}: ${String(v)}`);
  // Kafka's Long.MAX_VALUE means "never"; keep it a safe integer.
  return n > NEVER ? NEVER : n;
}

function setField(out: Partial<LogConfig>, key: string, field: keyof LogConfig, v: string | number): void {
  if (field === 'messageTimestampType') {
    const s = String(v).trim();
    if (s !== 'CreateTime' && s !== 'LogAppendTime') throw new Error(`invalid value for ${key}: ${s}`);
    out.messageTimestampType = s;
  } else if (field === 'cleanupDelete') {
    const policies = String(v).split(',').map((x) => x.trim()).filter((x) => x !== '');
    for (const x of policies) if (x !== 'delete' && x !== 'compact') throw new Error(`invalid value for ${key}: ${String(v)}`);
    out.cleanupDelete = policies.includes('delete');
    out.compact = policies.includes('compact');
  } else if (field === 'minCleanableRatio') {
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`invalid value for ${key}: ${String(v)}`);
    out.minCleanableRatio = n;
  } else {
    (out as Record<string, number>)[field] = toNumber(key, v);
  }
}

/** Parses topic-level overrides (`segment.bytes` ...). Unknown keys are ignored (they belong to others). */
export function parseTopicConfig(props: Readonly<Record<string, string | number>>): Partial<LogConfig> {
  const out: Partial<LogConfig> = {};
  for (const [k, v] of Object.entries(props)) {
    const field = TOPIC_CONFIG_KEYS[k];
    if (field) setField(out, k, field, v);
  }
  return out;
}


export function resolveLogConfig(...layers: Array<Partial<LogConfig> | undefined>): LogConfig {
  const out: LogConfig = { ...DEFAULT_LOG_CONFIG };
  for (const l of layers) {
    if (!l) continue;
    for (const [k, v] of Object.entries(l)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}
