/**
 * The config-parity cases: requests that set every broker, topic and group key Kafka documents
 * (kafka-table.ts) to a valid value and to invalid ones derived from its type and "Valid Values",
 * plus hand-picked cases (cross-key checks, thread counts, unknown keys, listener prefixes, group
 * bounds, request-level errors). All alter cases are validate-only, so the answers depend only on
 * the broker's configuration and SETUP.
 *
 * capture.ts sends them to Apache Kafka and records its answers in
 * test/fixtures/kafka-configs/answers-<version>.json; test/unit/kafka-configs.test.ts sends them to
 * Tributary and compares.
 */
import { KAFKA_BROKER_KEYS, KAFKA_GROUP_KEYS, KAFKA_TOPIC_KEYS, type KafkaKey } from '../../src/broker/config/kafka-table.js';

/** The broker settings both brokers run with (test/interop/conftest.py's BROKER_OVERRIDES). */
export const BROKER_OVERRIDES: ReadonlyArray<[string, string]> = [
  ['group.consumer.session.timeout.ms', '10000'],
  ['group.consumer.min.session.timeout.ms', '6000'],
  ['group.consumer.heartbeat.interval.ms', '1000'],
  ['group.consumer.min.heartbeat.interval.ms', '1000'],
];

export const TOPIC = 'parity-topic';
export const GROUP = 'parity-group';
/** A group whose configs the stateful cases set (the only changes the cases make). */
export const GROUP2 = 'parity-group-2';

export type ConfigRequest =
  | { api: 19; body: { topics: Array<{ name: string; numPartitions: number; replicationFactor: number; assignments: never[]; configs: Array<{ name: string; value: string | null }> }>; timeoutMs: number; validateOnly: boolean } }
  | { api: 32; body: { resources: Array<{ resourceType: number; resourceName: string; configurationKeys: string[] | null }>; includeSynonyms: boolean; includeDocumentation: boolean } }
  | { api: 33; body: { resources: Array<{ resourceType: number; resourceName: string; configs: Array<{ name: string; value: string | null }> }>; validateOnly: boolean } }
  | { api: 44; body: { resources: Array<{ resourceType: number; resourceName: string; configs: Array<{ name: string; configOperation: number; value: string | null }> }>; validateOnly: boolean } };

export interface ConfigCase {
  /** Unique and readable: what is sent where. */
  id: string;
  request: ConfigRequest;
}

/** Requests run once before the cases (their answers are not compared). */
export const SETUP: ConfigRequest[] = [
  { api: 19, body: { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30000, validateOnly: false } },
];

const TOPIC_T = 2;
const BROKER_T = 4;
const GROUP_T = 32;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

type Op = [name: string, value: string | null, op?: number];

function iac(type: number, name: string, ops: Op[], validateOnly = true): ConfigRequest {
  return { api: 44, body: { resources: [{ resourceType: type, resourceName: name, configs: ops.map(([n, v, op]) => ({ name: n, configOperation: op ?? SET, value: v })) }], validateOnly } };
}
function ac(type: number, name: string, configs: Array<[string, string | null]>): ConfigRequest {
  return { api: 33, body: { resources: [{ resourceType: type, resourceName: name, configs: configs.map(([n, v]) => ({ name: n, value: v })) }], validateOnly: true } };
}
function create(configs: Array<[string, string | null]>): ConfigRequest {
  return { api: 19, body: { topics: [{ name: 'parity-new-topic', numPartitions: 1, replicationFactor: 1, assignments: [], configs: configs.map(([n, v]) => ({ name: n, value: v })) }], timeoutMs: 30000, validateOnly: true } };
}
function describe(type: number, name: string, keys: string[] | null): ConfigRequest {
  return { api: 32, body: { resources: [{ resourceType: type, resourceName: name, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: false } };
}

const RANGE = /^\[(-?[0-9.]+),\.\.\.(?:,(-?[0-9.]+))?\]/;

/** A value Kafka takes for the key: its default, else the least the type and valid values allow. */
export function validValue(k: KafkaKey): string {
  if (k.default !== null && k.default !== '') return k.default;
  const range = RANGE.exec(k.validValues);
  switch (k.type) {
    case 'short':
    case 'int':
    case 'long':
    case 'double':
      return range ? range[1]! : '1';
    case 'boolean':
      return 'true';
    case 'list':
      return !range && /^\[[\w-]+(, [\w-]+)*\]$/.test(k.validValues) ? /^\[([\w-]+)/.exec(k.validValues)![1]! : '';
    case 'password':
      return 'secret';
    case 'class':
      return 'java.lang.String';
    default:
      return 'x';
  }
}

/** Values Kafka refuses for the key: not of its type, outside its range or valid values. */
export function invalidValues(k: KafkaKey): string[] {
  const out: string[] = [];
  const numeric = ['short', 'int', 'long', 'double'].includes(k.type);
  if (numeric) out.push('abc');
  if (k.type === 'boolean') out.push('maybe');
  const range = RANGE.exec(k.validValues);
  const step = (s: string, d: number): string => (s.includes('.') ? String(Number(s) + d / 2) : String(BigInt(s) + BigInt(d)));
  if (range) {
    out.push(step(range[1]!, -1));
    if (range[2]) out.push(step(range[2], 1));
  } else if (k.validValues.startsWith('[') || k.validValues.startsWith('(case')) {
    out.push('bogus');
  } else if (k.validValues !== '') {
    out.push('');
  }
  if (k.type === 'int') out.push('3000000000');
  if (k.type === 'short') out.push('40000');
  if (k.type === 'int' || k.type === 'long' || k.type === 'short') out.push('1.5');
  return out;
}

/** Every case, in a fixed order. */
export function configCases(): ConfigCase[] {
  const cases: ConfigCase[] = [];
  const add = (id: string, request: ConfigRequest): void => {
    if (cases.some((c) => c.id === id)) throw new Error(`duplicate case ${id}`);
    cases.push({ id, request });
  };

  for (const k of KAFKA_BROKER_KEYS) {
    const v = validValue(k);
    add(`broker 1 set ${k.name}=${v}`, iac(BROKER_T, '1', [[k.name, v]]));
    if (k.updateMode === 'read-only') continue;
    add(`broker default set ${k.name}=${v}`, iac(BROKER_T, '', [[k.name, v]]));
    add(`broker 1 alter ${k.name}=${v}`, ac(BROKER_T, '1', [[k.name, v]]));
    for (const bad of invalidValues(k)) {
      add(`broker 1 set ${k.name}=${bad}`, iac(BROKER_T, '1', [[k.name, bad]]));
      add(`broker default set ${k.name}=${bad}`, iac(BROKER_T, '', [[k.name, bad]]));
    }
  }
  for (const k of KAFKA_TOPIC_KEYS) {
    const v = validValue(k);
    add(`topic set ${k.name}=${v}`, iac(TOPIC_T, TOPIC, [[k.name, v]]));
    add(`topic alter ${k.name}=${v}`, ac(TOPIC_T, TOPIC, [[k.name, v]]));
    add(`create ${k.name}=${v}`, create([[k.name, v]]));
    for (const bad of invalidValues(k)) {
      add(`topic set ${k.name}=${bad}`, iac(TOPIC_T, TOPIC, [[k.name, bad]]));
      add(`create ${k.name}=${bad}`, create([[k.name, bad]]));
    }
  }
  for (const k of KAFKA_GROUP_KEYS) {
    const v = validValue(k);
    add(`group set ${k.name}=${v}`, iac(GROUP_T, GROUP, [[k.name, v]]));
    for (const bad of invalidValues(k)) add(`group set ${k.name}=${bad}`, iac(GROUP_T, GROUP, [[k.name, bad]]));
  }

  // Topics: how Java parses, list rules, unknown keys, cross-key checks, request-level errors.
  const topicValues: Array<[string, string]> = [
    ['cleanup.policy', ''],
    ['cleanup.policy', 'compact,compact'],
    ['cleanup.policy', 'compact, delete'],
    ['cleanup.policy', 'Compact'],
    ['cleanup.policy', 'compact,'],
    ['cleanup.policy', ',compact'],
    ['remote.storage.enable', 'true'],
    ['remote.storage.enable', 'false'],
    ['remote.log.copy.disable', 'true'],
    ['message.timestamp.type', 'createtime'],
    ['compression.type', 'ZSTD'],
    ['preallocate', 'TRUE'],
    ['preallocate', ' true '],
    ['segment.bytes', ' 2000000 '],
    ['segment.bytes', '+2000000'],
    ['segment.bytes', '0x200000'],
    ['segment.bytes', '2e6'],
    ['segment.bytes', ''],
    ['segment.bytes', '1000'],
    ['segment.bytes', '1048576'],
    ['min.cleanable.dirty.ratio', '0.5e0'],
    ['min.cleanable.dirty.ratio', 'NaN'],
    ['min.cleanable.dirty.ratio', '.5'],
    ['min.cleanable.dirty.ratio', '1f'],
    ['min.cleanable.dirty.ratio', '1.5'],
    ['min.cleanable.dirty.ratio', '-0.25'],
    ['min.cleanable.dirty.ratio', ''],
    ['internal.segment.bytes', '1100'],
    ['foo.bar', '1'],
    ['message.timestamp.difference.max.ms', '1'],
    ['message.format.version', '3.0'],
    ['min.insync.replicas', '5'],
    ['max.compaction.lag.ms', '5'],
    ['retention.bytes', '-5'],
    ['retention.ms', '-2'],
    ['follower.replication.throttled.replicas', '*'],
    ['follower.replication.throttled.replicas', '0:1, 1:1'],
    ['follower.replication.throttled.replicas', '0:1,x'],
    ['flush.messages', '9223372036854775807'],
    ['flush.messages', '9223372036854775808'],
    ['compression.gzip.level', '-1'],
    ['compression.gzip.level', '9'],
  ];
  for (const [k, v] of topicValues) {
    add(`topic set ${k}=${v} (parse)`, iac(TOPIC_T, TOPIC, [[k, v]]));
    add(`create ${k}=${v} (parse)`, create([[k, v]]));
  }
  add('topic set min.compaction.lag.ms above max', iac(TOPIC_T, TOPIC, [['min.compaction.lag.ms', '10'], ['max.compaction.lag.ms', '5']]));
  add('create min.compaction.lag.ms above max', create([['min.compaction.lag.ms', '10'], ['max.compaction.lag.ms', '5']]));
  add('topic set null', iac(TOPIC_T, TOPIC, [['segment.bytes', null]]));
  add('topic delete unknown', iac(TOPIC_T, TOPIC, [['foo.bar', null, DELETE]]));
  add('topic append non-list', iac(TOPIC_T, TOPIC, [['segment.bytes', '2000000', APPEND]]));
  add('topic subtract non-list', iac(TOPIC_T, TOPIC, [['segment.bytes', 'x', SUBTRACT]]));
  add('topic append unknown', iac(TOPIC_T, TOPIC, [['foo.bar', 'x', APPEND]]));
  add('topic append list', iac(TOPIC_T, TOPIC, [['cleanup.policy', 'compact', APPEND]]));
  add('topic append invalid', iac(TOPIC_T, TOPIC, [['cleanup.policy', 'bogus', APPEND]]));
  add('topic subtract list', iac(TOPIC_T, TOPIC, [['cleanup.policy', 'delete', SUBTRACT]]));
  add('topic duplicate keys', iac(TOPIC_T, TOPIC, [['segment.bytes', '2000000'], ['segment.bytes', '2000000']]));
  add('topic missing, valid value', iac(TOPIC_T, 'parity-no-such-topic', [['segment.bytes', '2000000']]));
  add('topic missing, invalid value', iac(TOPIC_T, 'parity-no-such-topic', [['segment.bytes', '20']]));
  add('topic alter null', ac(TOPIC_T, TOPIC, [['segment.bytes', null]]));
  add('topic alter unknown', ac(TOPIC_T, TOPIC, [['foo', '1']]));
  add('topic alter duplicate keys', ac(TOPIC_T, TOPIC, [['segment.bytes', '2000000'], ['segment.bytes', '2000000']]));
  add('create null', create([['segment.bytes', null]]));
  add('create duplicate keys', create([['segment.bytes', '2000000'], ['segment.bytes', '3000000']]));

  // Brokers: what only a running broker checks, keys Kafka does not know, listener prefixes.
  const brokerValues: Array<[string, string, string]> = [
    ['1', 'foo.bar', 'x'],
    ['', 'foo.bar', 'x'],
    ['1', 'listener.name.plaintext.ssl.client.auth', 'bogus'],
    ['1', 'listener.name.plaintext.ssl.keystore.type', 'PKCS12'],
    ['', 'listener.name.plaintext.ssl.keystore.type', 'PKCS12'],
    ['1', 'listener.name.plaintext.ssl.keystore.location', '/nope'],
    ['1', 'listener.name.plaintext.num.partitions', '3'],
    ['1', 'listener.name.plaintext.log.segment.bytes', '3'],
    ['', 'listener.name.plaintext.max.connections', '100'],
    ['1', 'ssl.cipher.suites', 'a,,b'],
    ['1', 'sasl.enabled.mechanisms', 'PLAIN, SCRAM-SHA-256'],
    ['', 'metric.reporters', 'a,'],
    ['1', 'log.cleanup.policy', 'compact,'],
    ['1', 'log.cleanup.policy', ''],
    ['1', 'unstable.api.versions.enable', 'true'],
    ['1', 'internal.metadata.log.segment.bytes', '5'],
    ['1', 'zookeeper.connect', 'localhost:2181'],
    ['1', 'num.io.threads', '100'],
    ['', 'num.io.threads', '2'],
    ['1', 'num.io.threads', '4'],
    ['1', 'num.io.threads', '16'],
    ['1', 'num.network.threads', '1'],
    ['1', 'num.network.threads', '7'],
    ['1', 'num.replica.fetchers', '3'],
    ['1', 'background.threads', '100'],
    ['1', 'num.recovery.threads.per.data.dir', '5'],
    ['1', 'remote.log.reader.threads', '50'],
    ['1', 'remote.log.manager.copier.thread.pool.size', '50'],
    ['1', 'log.cleaner.threads', '10'],
    ['1', 'log.cleaner.threads', '2'],
    ['1', 'log.cleaner.threads', '0'],
    ['1', 'log.cleaner.dedupe.buffer.size', '1'],
    ['1', 'log.roll.ms', '0'],
    ['1', 'log.roll.jitter.ms', '-1'],
    ['1', 'log.retention.ms', '0'],
    ['1', 'log.retention.ms', '-5'],
    ['1', 'log.retention.ms', '-1'],
    ['1', 'log.flush.interval.ms', '-1'],
    ['1', 'log.segment.bytes', '1000'],
    ['', 'log.segment.bytes', '1048576'],
    ['1', 'message.max.bytes', '200000000'],
    ['1', 'cordoned.log.dirs', '/nope'],
    ['1', 'max.connections.per.ip.overrides', 'a:x'],
    ['1', 'max.connections.per.ip.overrides', 'a:1,'],
    ['1', 'max.connections.per.ip.overrides', ':5'],
    ['1', 'max.connections.per.ip.overrides', 'a:1,b'],
    ['1', 'max.connections.per.ip.overrides', 'a!:1,b!:2'],
    ['1', 'max.connections.per.ip.overrides', '127.0.0.1:5,localhost:3'],
    ['1', 'max.connections.per.ip.overrides', '[::1]:3'],
    ['1', 'sasl.login.refresh.buffer.seconds', '3600'],
    ['1', 'transaction.partition.verification.enable', 'False'],
  ];
  for (const [r, k, v] of brokerValues) add(`broker ${r === '' ? 'default' : r} set ${k}=${v} (special)`, iac(BROKER_T, r, [[k, v]]));
  add('broker 1 three read-only keys', iac(BROKER_T, '1', [['num.partitions', '2'], ['log.dirs', '/x'], ['broker.id', '2']]));
  add('broker 1 range error before read-only check?', iac(BROKER_T, '1', [['log.segment.bytes', '3'], ['num.partitions', '3']]));
  add('broker default range error before per-broker check', iac(BROKER_T, '', [['log.segment.bytes', '3'], ['sasl.kerberos.service.name', 'k']]));
  add('broker 1 delete read-only', iac(BROKER_T, '1', [['num.partitions', null, DELETE]]));
  add('broker 1 append non-list', iac(BROKER_T, '1', [['log.segment.bytes', '5', APPEND]]));
  add('broker 1 append unknown', iac(BROKER_T, '1', [['foo.bar', 'x', APPEND]]));
  add('broker 1 append list', iac(BROKER_T, '1', [['log.cleanup.policy', 'compact', APPEND]]));
  add('broker 1 duplicate keys', iac(BROKER_T, '1', [['log.segment.bytes', '2000000'], ['log.segment.bytes', '2000000']]));
  add('broker 1 set null', iac(BROKER_T, '1', [['log.segment.bytes', null]]));
  add('broker 2 (not this broker)', iac(BROKER_T, '2', [['log.segment.bytes', '2000000']]));
  add('broker x (not a number)', iac(BROKER_T, 'x', [['log.segment.bytes', '2000000']]));
  add('describe broker 2', describe(BROKER_T, '2', ['log.segment.bytes']));
  add('describe broker x', describe(BROKER_T, 'x', ['log.segment.bytes']));
  add('broker 1 alter duplicate keys', ac(BROKER_T, '1', [['log.segment.bytes', '2000000'], ['log.segment.bytes', '2000000']]));
  add('broker 1 alter null', ac(BROKER_T, '1', [['log.segment.bytes', null]]));
  add('broker 1 alter read-only', ac(BROKER_T, '1', [['num.partitions', '2']]));
  add('broker 1 alter unknown', ac(BROKER_T, '1', [['foo.bar', 'x']]));
  // Set for real, described, removed: a key Kafka does not know, a per-broker SASL key, a log default.
  const stored: Op[] = [['parity.plugin.setting', 'x'], ['sasl.kerberos.service.name', 'kafka'], ['log.segment.bytes', '2097152']];
  add('broker 1 set for real', iac(BROKER_T, '1', stored, false));
  add('describe broker 1 after set', describe(BROKER_T, '1', stored.map(([k]) => k)));
  add('broker 1 delete for real', iac(BROKER_T, '1', stored.map(([k]): Op => [k, null, DELETE]), false));
  add('describe broker 1 after delete', describe(BROKER_T, '1', stored.map(([k]) => k)));

  // Groups: the broker's bounds, cross-key checks, request-level errors, set then describe.
  const groupValues: Array<[string, string][]> = [
    [['consumer.session.timeout.ms', '5000']],
    [['consumer.session.timeout.ms', '70000']],
    [['consumer.session.timeout.ms', '6000']],
    [['consumer.session.timeout.ms', '60000']],
    [['consumer.heartbeat.interval.ms', '500']],
    [['consumer.heartbeat.interval.ms', '20000']],
    [['consumer.heartbeat.interval.ms', '9000']],
    [['consumer.heartbeat.interval.ms', '10000']],
    [['consumer.heartbeat.interval.ms', '9000'], ['consumer.session.timeout.ms', '8000']],
    [['consumer.heartbeat.interval.ms', '12000'], ['consumer.session.timeout.ms', '30000']],
    [['consumer.assignment.interval.ms', '7000']],
    [['share.session.timeout.ms', '5000']],
    [['share.heartbeat.interval.ms', '20000']],
    [['streams.session.timeout.ms', '5000']],
    [['streams.num.standby.replicas', '5']],
    [['share.record.lock.duration.ms', '100000000']],
    [['share.delivery.count.limit', '50']],
    [['share.partition.max.record.locks', '20000']],
    [['share.auto.offset.reset', 'earliest']],
    [['share.auto.offset.reset', 'EARLIEST']],
    [['share.auto.offset.reset', 'by_duration:PT1H']],
    [['share.auto.offset.reset', 'by_duration:P1DT2H3M4.5S']],
    [['share.auto.offset.reset', 'by_duration:-PT1H']],
    [['share.auto.offset.reset', 'by_duration:1H']],
    [['share.isolation.level', 'READ_COMMITTED']],
    [['foo.bar', '1']],
    [['group.consumer.session.timeout.ms', '7000']],
  ];
  for (const ops of groupValues) add(`group set ${ops.map(([k, v]) => `${k}=${v}`).join(',')} (special)`, iac(GROUP_T, GROUP, ops));
  add('group append non-list', iac(GROUP_T, GROUP, [['consumer.session.timeout.ms', '7000', APPEND]]));
  add('group set null', iac(GROUP_T, GROUP, [['consumer.session.timeout.ms', null]]));
  add('group delete', iac(GROUP_T, GROUP, [['consumer.session.timeout.ms', null, DELETE]]));
  add('group duplicate keys', iac(GROUP_T, GROUP, [['consumer.session.timeout.ms', '7000'], ['consumer.session.timeout.ms', '7000']]));
  add('group default resource', iac(GROUP_T, '', [['consumer.session.timeout.ms', '7000']]));
  add('group alter (legacy)', ac(GROUP_T, GROUP, [['consumer.session.timeout.ms', '7000']]));
  add('group alter (legacy) out of bounds', ac(GROUP_T, GROUP, [['consumer.session.timeout.ms', '1']]));
  add('group alter (legacy) unknown', ac(GROUP_T, GROUP, [['foo', '1']]));
  add('group describe, no configs', describe(GROUP_T, GROUP, null));
  add('group describe, empty name', describe(GROUP_T, '', ['consumer.session.timeout.ms']));
  add('group set for real', iac(GROUP_T, GROUP2, [['consumer.session.timeout.ms', '20000'], ['consumer.heartbeat.interval.ms', '2000']], false));
  add('group describe after set', describe(GROUP_T, GROUP2, null));
  add('group describe filtered', describe(GROUP_T, GROUP2, ['consumer.session.timeout.ms', 'foo']));
  add('group set heartbeat above its own session timeout', iac(GROUP_T, GROUP2, [['consumer.heartbeat.interval.ms', '12000']]));
  add('group set session below its own heartbeat', iac(GROUP_T, GROUP2, [['consumer.session.timeout.ms', '2000']]));
  add('group delete for real', iac(GROUP_T, GROUP2, [['consumer.session.timeout.ms', null, DELETE], ['consumer.heartbeat.interval.ms', null, DELETE]], false));
  add('group describe after delete', describe(GROUP_T, GROUP2, ['consumer.session.timeout.ms']));

  // Resource types.
  add('alter unknown resource type 3', iac(3, 'x', [['a', '1']]));
  add('legacy alter broker logger', ac(8, '1', [['a', '1']]));
  return cases;
}

/** A response reduced to what is compared: the error code and message, and a describe's configs. */
export type Answer = [code: number, message: string | null] | [code: number, message: string | null, configs: Array<[string, string | null, number, string]>];

export function answerOf(api: number, response: unknown): Answer {
  const r = response as Record<string, unknown>;
  if (api === 19) {
    const t = (r.topics as Array<{ errorCode: number; errorMessage: string | null }>)[0]!;
    return [t.errorCode, t.errorMessage];
  }
  if (api === 32) {
    const x = (r.results as Array<{ errorCode: number; errorMessage: string | null; configs: Array<{ name: string; value: string | null; configSource: number; synonyms: Array<{ name: string; value: string | null; source: number }> }> }>)[0]!;
    const configs = x.configs
      .map((c): [string, string | null, number, string] => [c.name, c.value, c.configSource, c.synonyms.map((s) => `${s.source}:${s.name}=${s.value}`).join(', ')])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    // Kafka answers "" where Tributary answers null for no error: the same to a client.
    return [x.errorCode, x.errorMessage === '' ? null : x.errorMessage, configs];
  }
  const x = (r.responses as Array<{ errorCode: number; errorMessage: string | null }>)[0]!;
  return [x.errorCode, x.errorMessage === '' ? null : x.errorMessage];
}
