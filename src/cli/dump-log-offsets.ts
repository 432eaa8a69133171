/**
 * --offsets-decoder: `__consumer_offsets` keys and values as Kafka's DumpLogSegments prints them,
 * `{"type":"<key version>","data":{...}}` and `{"version":"<value version>","data":{...}}`, with
 * the fields of Kafka's record schemas in schema order. Decoded with the broker's own schemas
 * (src/protocol/coordinator-records.ts). A classic group's member subscriptions and assignments are
 * expanded when its protocol type is `consumer`, as Kafka does; other bytes print as base64.
 */
import { Reader } from '../protocol/primitives/index.js';
import {
  ConsumerGroupRecordKind,
  decodeConsumerGroupCurrentMemberAssignmentValue,
  decodeConsumerGroupMemberMetadataValue,
  decodeConsumerGroupPartitionMetadataValue,
  decodeConsumerGroupTargetAssignmentMemberValue,
  decodeEpochValue,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsKey,
  type TopicPartitionsRow,
} from '../protocol/coordinator-records.js';
import type { BatchRecord } from '../protocol/records/index.js';
import { toJson, uuidString, type JsonValue } from './dump-log-json.js';
import type { ParsedRecord } from './dump-log-records.js';

const b64 = (b: Buffer | null): JsonValue => (b === null ? null : b.toString('base64'));
const uuid = (dashed: string): string => uuidString(Buffer.from(dashed.replace(/-/g, ''), 'hex'));

function partitionsOf(r: Reader): JsonValue[] {
  const n = r.readArrayLength(4);
  const out: JsonValue[] = [];
  for (let i = 0; i < n; i++) out.push({ topic: r.readString(), partitions: r.readArray((x) => x.readInt32()) });
  return out;
}

/** ConsumerProtocolSubscription v0-v3 (not flexible). */
function subscriptionJson(buf: Buffer): JsonValue {
  const r = new Reader(buf);
  const version = r.readInt16();
  const o: { [k: string]: JsonValue } = { topics: r.readArray((x) => x.readString()), userData: b64(r.readNullableBytes()) };
  if (version >= 1) o.ownedPartitions = partitionsOf(r);
  if (version >= 2) o.generationId = r.readInt32();
  if (version >= 3) o.rackId = r.readNullableString();
  return o;
}

/** ConsumerProtocolAssignment v0-v3 (not flexible). */
function assignmentJson(buf: Buffer): JsonValue {
  const r = new Reader(buf);
  r.readInt16();
  return { assignedPartitions: partitionsOf(r), userData: b64(r.readNullableBytes()) };
}

function expand(buf: Buffer, f: (b: Buffer) => JsonValue): JsonValue {
  try {
    return f(buf);
  } catch {
    return b64(buf);
  }
}

function rows(list: readonly TopicPartitionsRow[]): JsonValue {
  return list.map((x) => ({ topicId: uuid(x.topicId), partitions: x.partitions }));
}

function keyJson(key: Buffer): { version: number; data: JsonValue } | { unknown: number } {
  const k = decodeOffsetsKey(key);
  switch (k.type) {
    case 'offset':
      return { version: key.readInt16BE(0), data: { group: k.group, topic: k.topic, partition: k.partition } };
    case 'group':
      return { version: 2, data: { group: k.group } };
    case 'consumer-group':
      return { version: k.kind, data: k.member === null ? { groupId: k.group } : { groupId: k.group, memberId: k.member } };
    default:
      return { unknown: k.version };
  }
}

function valueJson(keyVersion: number, value: Buffer): JsonValue {
  const version = value.readInt16BE(0);
  if (keyVersion <= 1) {
    const v = decodeOffsetCommitValue(value);
    const d: { [k: string]: JsonValue } = { offset: v.offset };
    if (version >= 3) d.leaderEpoch = v.leaderEpoch;
    d.metadata = v.metadata;
    d.commitTimestamp = v.commitTimestamp;
    if (version === 1) d.expireTimestamp = v.expireTimestamp;
    if (v.topicId && v.topicId.some((b) => b !== 0)) d.topicId = uuidString(v.topicId);
    return d;
  }
  if (keyVersion === 2) {
    const v = decodeGroupMetadataValue(value);
    const consumer = v.protocolType === 'consumer';
    const d: { [k: string]: JsonValue } = { protocolType: v.protocolType, generation: v.generation, protocol: v.protocol, leader: v.leader };
    if (version >= 2) d.currentStateTimestamp = v.currentStateTimestamp;
    d.members = v.members.map((m) => {
      const o: { [k: string]: JsonValue } = { memberId: m.memberId };
      if (version >= 3) o.groupInstanceId = m.groupInstanceId;
      o.clientId = m.clientId;
      o.clientHost = m.clientHost;
      if (version >= 1) o.rebalanceTimeout = m.rebalanceTimeout;
      o.sessionTimeout = m.sessionTimeout;
      o.subscription = consumer ? expand(m.subscription, subscriptionJson) : b64(m.subscription);
      o.assignment = consumer ? expand(m.assignment, assignmentJson) : b64(m.assignment);
      return o;
    });
    return d;
  }
  switch (keyVersion) {
    case ConsumerGroupRecordKind.METADATA:
      return { epoch: decodeEpochValue(value) };
    case ConsumerGroupRecordKind.TARGET_ASSIGNMENT_METADATA:
      return { assignmentEpoch: decodeEpochValue(value) };
    case ConsumerGroupRecordKind.PARTITION_METADATA:
      return {
        topics: decodeConsumerGroupPartitionMetadataValue(value).topics.map((t) => ({
          topicId: uuid(t.topicId),
          topicName: t.topicName,
          numPartitions: t.numPartitions,
        })),
      };
    case ConsumerGroupRecordKind.MEMBER_METADATA: {
      const v = decodeConsumerGroupMemberMetadataValue(value);
      return {
        instanceId: v.instanceId,
        rackId: v.rackId,
        clientId: v.clientId,
        clientHost: v.clientHost,
        subscribedTopicNames: v.subscribedTopicNames,
        subscribedTopicRegex: v.subscribedTopicRegex,
        rebalanceTimeoutMs: v.rebalanceTimeoutMs,
        serverAssignor: v.serverAssignor,
      };
    }
    case ConsumerGroupRecordKind.TARGET_ASSIGNMENT_MEMBER:
      return { topicPartitions: rows(decodeConsumerGroupTargetAssignmentMemberValue(value)) };
    default: {
      const v = decodeConsumerGroupCurrentMemberAssignmentValue(value);
      return {
        memberEpoch: v.memberEpoch,
        previousMemberEpoch: v.previousMemberEpoch,
        state: v.state,
        assignedPartitions: rows(v.assignedPartitions),
        partitionsPendingRevocation: rows(v.partitionsPendingRevocation),
      };
    }
  }
}

export function parseOffsetsRecord(record: BatchRecord): ParsedRecord {
  if (record.key === null) {
    throw new Error(`Failed to decode message at offset ${record.offset} using offset topic decoder (message had a missing key)`);
  }
  try {
    const k = keyJson(record.key);
    if ('unknown' in k) return { key: `Unknown record type ${k.unknown} at offset ${record.offset}, skipping.` };
    const key = toJson({ type: String(k.version), data: k.data });
    if (record.value === null) return { key, payload: '<DELETE>' };
    return { key, payload: toJson({ version: String(record.value.readInt16BE(0)), data: valueJson(k.version, record.value) }) };
  } catch (e) {
    return { key: `Error at offset ${record.offset}, skipping. ${(e as Error).message}` };
  }
}
