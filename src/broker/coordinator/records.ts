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
 * (what Kafka 2.3+ writes) and read every version above. A null value is a tombstone. Key versions
 * we do not know (KIP-848 consumer-group records, share groups) are reported as `unknown`.
 */
import { Reader, Writer } from '../../protocol/primitives/index.js';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const GROUP_METADATA_VALUE_VERSION = 3;

export type OffsetsKey =
  | { type: 'offset'; group: string; topic: string; partition: number }
  | { type: 'group'; group: string }
  | { type: 'unknown'; version: number };

export interface OffsetCommitValue {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Only in value v1 (explicit retention of pre-2.1 clients); -1 otherwise. */
  expireTimestamp: number;
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
  if (flexible) r.readTaggedFields();
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
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
