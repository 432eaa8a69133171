/**
 * Group configs (KIP-848's GROUP config resource, type 32): a group's own value of a group.*
 * broker key, e.g. consumer.session.timeout.ms over group.consumer.session.timeout.ms. Validated
 * as Kafka 4.3.1's GroupConfig.validate does (names, each value, then the bounds the broker's
 * group.*.min/max keys set), kept in the metadata store with the dynamic broker configs, and read
 * by the group coordinator for each KIP-848 group (consumer.session.timeout.ms and
 * consumer.heartbeat.interval.ms; the other keys are stored and described only).
 *
 * A group's configs do not depend on the group existing, as in Kafka: they can be set before its
 * first member joins, and describing an unknown group shows the broker's values.
 */
import type { GroupConfigOverrides } from '../coordinator/group-config.js';
import type { ClusterState, MetadataStore } from '../metadata/store.js';
import type { BrokerConfig } from './config.js';
import { BROKER_CONFIG_BY_NAME, ConfigSource, GROUP_CONFIG_BY_NAME, GROUP_CONFIGS, type GroupConfigDef } from './defs.js';
import { checkValue, ConfigError } from './validate.js';

/** A value and where it comes from, most specific first (DescribeConfigs' synonyms). */
export interface ResolvedGroupConfig {
  name: string;
  value: string | null;
  source: number;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
}


/** GroupConfig.validateValues' bounds, in its order: [group key, broker minimum, broker maximum]. */
const BOUNDS: ReadonlyArray<[string, string | null, string | null]> = [
  ['consumer.heartbeat.interval.ms', 'group.consumer.min.heartbeat.interval.ms', 'group.consumer.max.heartbeat.interval.ms'],
  ['consumer.session.timeout.ms', 'group.consumer.min.session.timeout.ms', 'group.consumer.max.session.timeout.ms'],
  ['consumer.assignment.interval.ms', 'group.consumer.min.assignment.interval.ms', 'group.consumer.max.assignment.interval.ms'],
  ['share.heartbeat.interval.ms', 'group.share.min.heartbeat.interval.ms', 'group.share.max.heartbeat.interval.ms'],
  ['share.session.timeout.ms', 'group.share.min.session.timeout.ms', 'group.share.max.session.timeout.ms'],
  ['share.record.lock.duration.ms', 'group.share.min.record.lock.duration.ms', 'group.share.max.record.lock.duration.ms'],
  ['share.delivery.count.limit', 'group.share.min.delivery.count.limit', 'group.share.max.delivery.count.limit'],
  ['share.partition.max.record.locks', 'group.share.min.partition.max.record.locks', 'group.share.max.partition.max.record.locks'],
  ['share.assignment.interval.ms', 'group.share.min.assignment.interval.ms', 'group.share.max.assignment.interval.ms'],
  ['streams.heartbeat.interval.ms', 'group.streams.min.heartbeat.interval.ms', 'group.streams.max.heartbeat.interval.ms'],
  ['streams.session.timeout.ms', 'group.streams.min.session.timeout.ms', 'group.streams.max.session.timeout.ms'],
  ['streams.num.standby.replicas', null, 'group.streams.max.standby.replicas'],
  ['streams.assignment.interval.ms', 'group.streams.min.assignment.interval.ms', 'group.streams.max.assignment.interval.ms'],
];

/** Then each protocol's session timeout must exceed its heartbeat interval. */
const SESSION_OVER_HEARTBEAT = ['consumer', 'share', 'streams'];

export class GroupConfigs {
  constructor(
    private readonly state: ClusterState,
    private readonly store: MetadataStore,
    private readonly broker: BrokerConfig,
  ) {}

  /** The group's own values. */
  overrides(groupId: string): ReadonlyMap<string, string> {
    return new Map(Object.entries(this.state.groupConfigs[groupId] ?? {}));
  }

  /** The value a group key has without the group's own: its broker key's, else Kafka's default. */
  private brokerValue(def: GroupConfigDef): string | null {
    return def.brokerSynonym ? this.broker.get(def.brokerSynonym) : def.default;
  }

  /**
   * Checks `next`, the group's whole set of own values, as Kafka does; returns it normalised.
   * Throws ConfigError (INVALID_CONFIG) with Kafka's message.
   */
  check(next: ReadonlyMap<string, string>): Map<string, string> {
    for (const name of next.keys()) if (!GROUP_CONFIG_BY_NAME.has(name)) throw new ConfigError(name, `Unknown group config name: ${name}`);
    const combined = new Map<string, string>();
    for (const def of GROUP_CONFIGS) {
      const v = this.brokerValue(def);
      if (v !== null) combined.set(def.name, v);
    }
    const out = new Map<string, string>();
    for (const [name, value] of next) {
      const normalised = checkValue(GROUP_CONFIG_BY_NAME.get(name)!, value);
      out.set(name, normalised);
      combined.set(name, normalised);
    }
    const num = (name: string): number => Number(combined.get(name) ?? this.broker.get(name));
    for (const [name, min, max] of BOUNDS) {
      if (min !== null && num(name) < num(min)) throw new ConfigError(name, `${name} must be greater than or equal to ${min}`);
      if (max !== null && num(name) > num(max)) throw new ConfigError(name, `${name} must be less than or equal to ${max}`);
    }
    for (const p of SESSION_OVER_HEARTBEAT) {
      if (num(`${p}.session.timeout.ms`) <= num(`${p}.heartbeat.interval.ms`)) {
        throw new ConfigError(`${p}.session.timeout.ms`, `${p}.session.timeout.ms must be greater than ${p}.heartbeat.interval.ms`);
      }
    }
    return out;
  }

  /** Replaces the group's own values with `next` (checked first); persisted. */
  async set(groupId: string, next: ReadonlyMap<string, string>, validateOnly: boolean): Promise<void> {
    const checked = this.check(next);
    if (validateOnly) return;
    if (checked.size === 0) delete this.state.groupConfigs[groupId];
    else this.state.groupConfigs[groupId] = Object.fromEntries(checked);
    await this.store.save(this.state);
  }

  /** The group's value of `name` and the chain it was resolved through. */
  resolve(groupId: string, def: GroupConfigDef): ResolvedGroupConfig {
    const synonyms: ResolvedGroupConfig['synonyms'] = [];
    const own = this.state.groupConfigs[groupId]?.[def.name];
    if (own !== undefined) synonyms.push({ name: def.name, value: own, source: ConfigSource.GROUP_CONFIG });
    if (def.brokerSynonym) {
      for (const l of this.broker.layers(def.brokerSynonym)) synonyms.push({ name: def.brokerSynonym, value: l.value, source: l.source });
    }
    const dflt = def.brokerSynonym ? (BROKER_CONFIG_BY_NAME.get(def.brokerSynonym)?.default ?? def.default) : def.default;
    synonyms.push({ name: def.brokerSynonym ?? def.name, value: dflt, source: ConfigSource.DEFAULT_CONFIG });
    return { name: def.name, value: synonyms[0]!.value, source: synonyms[0]!.source, synonyms };
  }

  /** What the coordinator applies for `groupId`. */
  coordinatorOverrides(groupId: string): GroupConfigOverrides | undefined {
    const own = this.state.groupConfigs[groupId];
    if (!own) return undefined;
    const out: GroupConfigOverrides = {};
    if (own['consumer.session.timeout.ms'] !== undefined) out.consumerSessionTimeoutMs = Number(own['consumer.session.timeout.ms']);
    if (own['consumer.heartbeat.interval.ms'] !== undefined) out.consumerHeartbeatIntervalMs = Number(own['consumer.heartbeat.interval.ms']);
    return out;
  }
}
