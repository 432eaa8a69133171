/**
 * The group coordinator's requests and answers as the handlers hand them over and get them back
 * (decoded from the wire, version differences already folded in).
 */
import type { Protocol } from './group.js';
import type { TopicPartitionsRow } from '../../protocol/coordinator-records.js';


export interface ConsumerGroupHeartbeatRequestData {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: Array<{ topicId: string; partitions: number[] }> | null;
  clientId: string;
  clientHost: string;
  /** v0: the coordinator may pick the member id; v1+: the member brings it. */
  apiVersion: number;
  /** With an authorizer: whether the member's principal may DESCRIBE a topic (filters its regex matches). */
  topicDescribable?: (topic: string) => boolean;
}

export interface ConsumerGroupHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: TopicPartitionsRow[] } | null;
}

export interface DescribedConsumerGroupAssignment {
  topicPartitions: Array<{ topicId: string; topicName: string; partitions: number[] }>;
}

export interface DescribedConsumerGroup {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: Array<{
    memberId: string;
    instanceId: string | null;
    rackId: string | null;
    memberEpoch: number;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: string[];
    subscribedTopicRegex: string | null;
    assignment: DescribedConsumerGroupAssignment;
    targetAssignment: DescribedConsumerGroupAssignment;
  }>;
}

export interface JoinGroupRequestData {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+: a member without id gets MEMBER_ID_REQUIRED and a member id first (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a stable group may be told to skip the assignment. */
  supportsSkipAssignment: boolean;
  reason?: string | null;
}

export interface SyncGroupRequestData {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface HeartbeatRequestData {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveMember {
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

export interface OffsetCommitRequestData {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-v4; -1 = broker retention. */
  retentionTimeMs: number;
  topics: Array<{
    name: string;
    partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; commitTimestamp: bigint; committedMetadata: string | null }>;
  }>;
  /** v9+ answers a missing group with GROUP_ID_NOT_FOUND instead of ILLEGAL_GENERATION. */
  apiVersion: number;
}

/** TxnOffsetCommit (API 28): offsets committed in the producer's transaction. */
export interface TxnOffsetCommitRequestData {
  transactionalId: string;
  groupId: string;
  producerId: bigint;
  producerEpoch: number;
  /** v3+; -1 (and an empty member id) from older versions and producers outside a group. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: Array<{
    name: string;
    partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }>;
  }>;
  apiVersion: number;
}

/**
 * KIP-890's check of a TxnOffsetCommit against the transaction coordinator (the transaction
 * must be ongoing with this producer, and the offsets partition in it, or added to it for v5+):
 * NONE to go on, else the error every partition gets. Owned by the transaction coordinator.
 */
export type TxnOffsetCommitVerifier = (req: {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  groupId: string;
  /** The __consumer_offsets partition the group's offsets go to. */
  partition: number;
  apiVersion: number;
}) => Promise<number>;

export interface TopicPartitionsError {
  name: string;
  partitions: Array<{ partitionIndex: number; errorCode: number }>;
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface OffsetFetchResult {
  errorCode: number;
  topics: Array<{ name: string; partitions: FetchedOffset[] }>;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }>;
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

