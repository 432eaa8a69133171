/**
 * Keys and values of the records in `__consumer_offsets`, in Kafka's formats (each starts with an
 * int16 schema version), so a Kafka tool reading our log sees what Kafka writes:
 *
 *   OffsetCommitKey   v0/v1: group string, topic string, partition int32
 *   GroupMetadataKey  v2   : group string
 *   OffsetCommitValue v0: offset int64, metadata string, commitTimestamp int64
 *                     v1: ... as v0, then expireTimestamp int64
 *                     v2: as v0
 *                     v3: offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
 *                     v4: as v3, flexible (compact strings, tagged fields)
 *   GroupMetadataValue v0: protocolType string, generation int32, protocol string?, leader string?,
 *                          members [memberId, clientId, clientHost, sessionTimeout int32,
 *                          subscription bytes, assignment bytes]
 *                     v1: members gain rebalanceTimeout int32 (before sessionTimeout)
 *                     v2: currentStateTimestamp int64 after leader
 *                     v3: members gain groupInstanceId string? after memberId
 *                     v4: as v3, flexible
 *
 * We write OffsetCommitKey v1 + OffsetCommitValue v3 and GroupMetadataKey v2 + GroupMetadataValue v3
 * (what Kafka 2.3+ writes) and read every version above. A null value is a tombstone.
 *
 * KIP-848 consumer groups use key versions 3-8 (keys non-flexible: int16 version, group string,
 * and for per-member records member string); their values are version 0, flexible (compact
 * strings and arrays, tagged fields):
 *
 *   3 ConsumerGroupMetadata                 value: epoch int32
 *   4 ConsumerGroupPartitionMetadata        value: topics [topicId uuid, topicName, numPartitions
 *                                                  int32, partitionMetadata [partition, racks []]]
 *   5 ConsumerGroupMemberMetadata (member)  value: instanceId?, rackId?, clientId, clientHost,
 *                                                  subscribedTopicNames [], subscribedTopicRegex?,
 *                                                  rebalanceTimeoutMs int32, serverAssignor?
 *   6 ConsumerGroupTargetAssignmentMetadata value: assignmentEpoch int32
 *   7 ConsumerGroupTargetAssignmentMember   value: topicPartitions [topicId uuid, partitions []int32]
 *   8 ConsumerGroupCurrentMemberAssignment  value: memberEpoch, previousMemberEpoch int32, state
 *                                                  int8, assignedPartitions [...],
 *                                                  partitionsPendingRevocation [...]
 *
 * Other key versions (share and streams groups) are reported as `unknown`.
 */
import { Reader, Writer } from './primitives/index.js';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const GROUP_METADATA_VALUE_VERSION = 3;

export type OffsetsKey =
  | { type: 'offset'; group: string; topic: string; partition: number }
  | { type: 'group'; group: string }
  | { type: 'consumer-group'; kind: ConsumerGroupRecordKind; group: string; member: string | null }
  | { type: 'unknown'; version: number };

/** Key versions of KIP-848 consumer-group records. */
export const ConsumerGroupRecordKind = {
  METADATA: 3,
  PARTITION_METADATA: 4,
  MEMBER_METADATA: 5,
  TARGET_ASSIGNMENT_METADATA: 6,
  TARGET_ASSIGNMENT_MEMBER: 7,
  CURRENT_MEMBER_ASSIGNMENT: 8,
} as const;
export type ConsumerGroupRecordKind = (typeof ConsumerGroupRecordKind)[keyof typeof ConsumerGroupRecordKind];

const PER_MEMBER_KINDS: ReadonlySet<number> = new Set([5, 7, 8]);

export interface OffsetCommitValue {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Only in value v1 (explicit retention of pre-2.1 clients); -1 otherwise. */
  expireTimestamp: number;
  /** Value v4's tagged topicId (tag 0), when the writer set it (Kafka 4.1+ does; we never do). */
  topicId?: Buffer;
}

export interface GroupMemberRecord {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: GroupMemberRecord[];
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return new Writer(64).writeInt16(OFFSET_COMMIT_KEY_VERSION).writeString(group).writeString(topic).writeInt32(partition).toBuffer();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new Writer(32).writeInt16(GROUP_METADATA_KEY_VERSION).writeString(group).toBuffer();
}

export function decodeOffsetsKey(buf: Buffer): OffsetsKey {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version === 0 || version === 1) {
    const group = r.readString();
    const topic = r.readString();
    const partition = r.readInt32();
    return { type: 'offset', group, topic, partition };
  }
  if (version === 2) return { type: 'group', group: r.readString() };
  if (version >= 3 && version <= 8) {
    const group = r.readString();
    const member = PER_MEMBER_KINDS.has(version) ? r.readString() : null;
    return { type: 'consumer-group', kind: version as ConsumerGroupRecordKind, group, member };
  }
  return { type: 'unknown', version };
}

export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  const w = new Writer(64);
  if (v.expireTimestamp >= 0) {
    // Kafka writes v1 when an explicit expiry is kept.
    w.writeInt16(1).writeInt64(v.offset).writeString(v.metadata).writeInt64(BigInt(v.commitTimestamp)).writeInt64(BigInt(v.expireTimestamp));
    return w.toBuffer();
  }
  w.writeInt16(OFFSET_COMMIT_VALUE_VERSION)
    .writeInt64(v.offset)
    .writeInt32(v.leaderEpoch)
    .writeString(v.metadata)
    .writeInt64(BigInt(v.commitTimestamp));
  return w.toBuffer();
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version < 0 || version > 4) r.fail(`unknown OffsetCommitValue version ${version}`);
  const flexible = version >= 4;
  const offset = r.readInt64();
  const leaderEpoch = version >= 3 ? r.readInt32() : -1;
  const metadata = flexible ? r.readCompactString() : r.readString();
  const commitTimestamp = Number(r.readInt64());
  const expireTimestamp = version === 1 ? Number(r.readInt64()) : -1;
  let topicId: Buffer | undefined;
  if (flexible) {
    r.readTaggedFields((tag, sub) => {
      if (tag !== 0) return false;
      topicId = Buffer.from(sub.readSlice(16));
      return true;
    });
  }
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp, ...(topicId ? { topicId } : {}) };
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer(256);
  w.writeInt16(GROUP_METADATA_VALUE_VERSION)
    .writeString(v.protocolType)
    .writeInt32(v.generation)
    .writeNullableString(v.protocol)
    .writeNullableString(v.leader)
    .writeInt64(BigInt(v.currentStateTimestamp))
    .writeInt32(v.members.length);
  for (const m of v.members) {
    w.writeString(m.memberId)
      .writeNullableString(m.groupInstanceId)
      .writeString(m.clientId)
      .writeString(m.clientHost)
      .writeInt32(m.rebalanceTimeout)
      .writeInt32(m.sessionTimeout)
      .writeBytes(m.subscription)
      .writeBytes(m.assignment);
  }
  return w.toBuffer();
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version < 0 || version > 4) r.fail(`unknown GroupMetadataValue version ${version}`);
  const flex = version >= 4;
  const str = (): string => (flex ? r.readCompactString() : r.readString());
  const nstr = (): string | null => (flex ? r.readCompactNullableString() : r.readNullableString());
  const bytes = (): Buffer => Buffer.from(flex ? r.readCompactBytes() : r.readBytes());
  const protocolType = str();
  const generation = r.readInt32();
  const protocol = nstr();
  const leader = nstr();
  const currentStateTimestamp = version >= 2 ? Number(r.readInt64()) : -1;
  const n = flex ? r.readCompactArrayLength(10) : r.readArrayLength(10);
  const members: GroupMemberRecord[] = [];
  for (let i = 0; i < n; i++) {
    const memberId = str();
    const groupInstanceId = version >= 3 ? nstr() : null;
    const clientId = str();
    const clientHost = str();
    const rebalanceTimeout = version >= 1 ? r.readInt32() : -1;
    const sessionTimeout = r.readInt32();
    const subscription = bytes();
    const assignment = bytes();
    if (flex) r.readTaggedFields();
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeout: rebalanceTimeout < 0 ? sessionTimeout : rebalanceTimeout, sessionTimeout, subscription, assignment });
  }
  if (flex) r.readTaggedFields();
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}

// =============================================================================================
// KIP-848 consumer-group records

export function encodeConsumerGroupKey(kind: ConsumerGroupRecordKind, group: string, member?: string): Buffer {
  const w = new Writer(64).writeInt16(kind).writeString(group);
  if (PER_MEMBER_KINDS.has(kind)) w.writeString(member ?? '');
  return w.toBuffer();
}

export interface TopicPartitionsRow {
  topicId: string;
  partitions: number[];
}

export interface ConsumerGroupPartitionMetadataValue {
  topics: Array<{ topicId: string; topicName: string; numPartitions: number }>;
}

export interface ConsumerGroupMemberMetadataValue {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
}

export interface ConsumerGroupCurrentMemberAssignmentValue {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: number;
  assignedPartitions: TopicPartitionsRow[];
  partitionsPendingRevocation: TopicPartitionsRow[];
}

function valueWriter(): Writer {
  return new Writer(128).writeInt16(0);
}

function valueReader(buf: Buffer, name: string): Reader {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version !== 0) r.fail(`unknown ${name} version ${version}`);
  return r;
}

function writeRows(w: Writer, rows: readonly TopicPartitionsRow[]): void {
  w.writeCompactArray(rows, (w2, row) => {
    w2.writeUUID(row.topicId).writeCompactArray(row.partitions, (w3, p) => w3.writeInt32(p)).writeTaggedFields();
  });
}

function readRows(r: Reader): TopicPartitionsRow[] {
  const n = r.readCompactArrayLength(18);
  const rows: TopicPartitionsRow[] = [];
  for (let i = 0; i < n; i++) {
    const topicId = r.readUUID();
    const k = r.readCompactArrayLength(4);
    const partitions: number[] = [];
    for (let j = 0; j < k; j++) partitions.push(r.readInt32());
    r.readTaggedFields();
    rows.push({ topicId, partitions });
  }
  return rows;
}

function readCompactStrings(r: Reader): string[] {
  const n = r.readCompactArrayLength(1);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.readCompactString());
  return out;
}

/** ConsumerGroupMetadataValue (group epoch), also ConsumerGroupTargetAssignmentMetadataValue (assignment epoch). */
export function encodeEpochValue(epoch: number): Buffer {
  return valueWriter().writeInt32(epoch).writeTaggedFields().toBuffer();
}

export function decodeEpochValue(buf: Buffer): number {
  const r = valueReader(buf, 'epoch value');
  const epoch = r.readInt32();
  r.readTaggedFields();
  return epoch;
}

export function encodeConsumerGroupPartitionMetadataValue(v: ConsumerGroupPartitionMetadataValue): Buffer {
  const w = valueWriter();
  w.writeCompactArray(v.topics, (w2, t) => {
    // PartitionMetadata (racks per partition): no racks here, an empty list as Kafka stores then.
    w2.writeUUID(t.topicId).writeCompactString(t.topicName).writeInt32(t.numPartitions).writeCompactArray([], () => {}).writeTaggedFields();
  });
  return w.writeTaggedFields().toBuffer();
}

export function decodeConsumerGroupPartitionMetadataValue(buf: Buffer): ConsumerGroupPartitionMetadataValue {
  const r = valueReader(buf, 'ConsumerGroupPartitionMetadataValue');
  const n = r.readCompactArrayLength(22);
  const topics: ConsumerGroupPartitionMetadataValue['topics'] = [];
  for (let i = 0; i < n; i++) {
    const topicId = r.readUUID();
    const topicName = r.readCompactString();
    const numPartitions = r.readInt32();
    const k = r.readCompactArrayLength(6);
    for (let j = 0; j < k; j++) {
      r.readInt32();
      readCompactStrings(r);
      r.readTaggedFields();
    }
    r.readTaggedFields();
    topics.push({ topicId, topicName, numPartitions });
  }
  r.readTaggedFields();
  return { topics };
}

export function encodeConsumerGroupMemberMetadataValue(v: ConsumerGroupMemberMetadataValue): Buffer {
  return valueWriter()
    .writeCompactNullableString(v.instanceId)
    .writeCompactNullableString(v.rackId)
    .writeCompactString(v.clientId)
    .writeCompactString(v.clientHost)
    .writeCompactArray(v.subscribedTopicNames, (w, t) => w.writeCompactString(t))
    .writeCompactNullableString(v.subscribedTopicRegex)
    .writeInt32(v.rebalanceTimeoutMs)
    .writeCompactNullableString(v.serverAssignor)
    .writeTaggedFields()
    .toBuffer();
}

export function decodeConsumerGroupMemberMetadataValue(buf: Buffer): ConsumerGroupMemberMetadataValue {
  const r = valueReader(buf, 'ConsumerGroupMemberMetadataValue');
  const instanceId = r.readCompactNullableString();
  const rackId = r.readCompactNullableString();
  const clientId = r.readCompactString();
  const clientHost = r.readCompactString();
  const subscribedTopicNames = readCompactStrings(r);
  const subscribedTopicRegex = r.readCompactNullableString();
  const rebalanceTimeoutMs = r.readInt32();
  const serverAssignor = r.readCompactNullableString();
  r.readTaggedFields();
  return { instanceId, rackId, clientId, clientHost, subscribedTopicNames, subscribedTopicRegex, rebalanceTimeoutMs, serverAssignor };
}

export function encodeConsumerGroupTargetAssignmentMemberValue(rows: readonly TopicPartitionsRow[]): Buffer {
  const w = valueWriter();
  writeRows(w, rows);
  return w.writeTaggedFields().toBuffer();
}

export function decodeConsumerGroupTargetAssignmentMemberValue(buf: Buffer): TopicPartitionsRow[] {
  const r = valueReader(buf, 'ConsumerGroupTargetAssignmentMemberValue');
  const rows = readRows(r);
  r.readTaggedFields();
  return rows;
}

export function encodeConsumerGroupCurrentMemberAssignmentValue(v: ConsumerGroupCurrentMemberAssignmentValue): Buffer {
  const w = valueWriter().writeInt32(v.memberEpoch).writeInt32(v.previousMemberEpoch).writeInt8(v.state);
  writeRows(w, v.assignedPartitions);
  writeRows(w, v.partitionsPendingRevocation);
  return w.writeTaggedFields().toBuffer();
}

export function decodeConsumerGroupCurrentMemberAssignmentValue(buf: Buffer): ConsumerGroupCurrentMemberAssignmentValue {
  const r = valueReader(buf, 'ConsumerGroupCurrentMemberAssignmentValue');
  const memberEpoch = r.readInt32();
  const previousMemberEpoch = r.readInt32();
  const state = r.readInt8();
  const assignedPartitions = readRows(r);
  const partitionsPendingRevocation = readRows(r);
  r.readTaggedFields();
  return { memberEpoch, previousMemberEpoch, state, assignedPartitions, partitionsPendingRevocation };
}
