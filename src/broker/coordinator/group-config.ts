/**
 * The group coordinator's settings, with Kafka's defaults, read from the broker's config keys
 * (group.*, offsets.*, offset.metadata.max.bytes).
 */
import type { BrokerConfig } from '../config/config.js';
import { ASSIGNORS } from './assignors.js';

export interface GroupCoordinatorConfig {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
  offsetMetadataMaxBytes: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  /** How long a new member's JoinGroup may wait (Kafka's fixed 5 minutes). */
  newMemberJoinTimeoutMs: number;
  /** KIP-848: group.consumer.heartbeat.interval.ms */
  consumerHeartbeatIntervalMs: number;
  /** KIP-848: group.consumer.session.timeout.ms */
  consumerSessionTimeoutMs: number;
  /** KIP-848: group.consumer.max.size */
  consumerMaxSize: number;
  /** KIP-848: group.consumer.assignors (names; the first is the default). */
  consumerAssignors: readonly string[];
}

/** A group's own settings (group configs, the GROUP config resource); an absent field means the broker's. */
export interface GroupConfigOverrides {
  consumerSessionTimeoutMs?: number;
  consumerHeartbeatIntervalMs?: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  maxGroupSize: 0x7fffffff,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  newMemberJoinTimeoutMs: 300_000,
  consumerHeartbeatIntervalMs: 5000,
  consumerSessionTimeoutMs: 45_000,
  consumerMaxSize: 0x7fffffff,
  consumerAssignors: ['uniform', 'range'],
};

/** Kafka's assignor class names map to our assignors' names. */
function assignorName(entry: string): string {
  const e = entry.trim();
  if (/UniformAssignor$/.test(e)) return 'uniform';
  if (/RangeAssignor$/.test(e)) return 'range';
  return e;
}

export function groupCoordinatorConfig(config: BrokerConfig): GroupCoordinatorConfig {
  return {
    initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
    maxGroupSize: config.int('group.max.size'),
    offsetMetadataMaxBytes: config.int('offset.metadata.max.bytes'),
    offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: config.int('offsets.retention.check.interval.ms'),
    newMemberJoinTimeoutMs: DEFAULT_GROUP_COORDINATOR_CONFIG.newMemberJoinTimeoutMs,
    consumerHeartbeatIntervalMs: config.int('group.consumer.heartbeat.interval.ms'),
    consumerSessionTimeoutMs: config.int('group.consumer.session.timeout.ms'),
    consumerMaxSize: config.int('group.consumer.max.size'),
    consumerAssignors: config.list('group.consumer.assignors').map(assignorName).filter((a) => ASSIGNORS.has(a)),
  };
}

