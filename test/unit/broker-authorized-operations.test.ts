// Authorized operations (KIP-430) without an authorizer: the bit sets Apache Kafka 4.3.1 answers
// (measured against the real broker, see test/interop/test_authorized_operations.py): every
// operation that applies to the resource type, never ANY or ALL; the schema default (INT32_MIN)
// when not asked for.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { AclOperation, AclResourceType, authorizedOperations, operationsBitField, type Authorizer } from '../../src/broker/authorization.js';
import { connect, createTopic, startBroker, ZERO_UUID, type TestBroker } from './helpers/broker-client.js';

const OMITTED = -2147483648;
/** CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE. */
const CLUSTER = 8096;
/** READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
const TOPIC = 3576;
/** READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
const GROUP = 3400;

test('the bit sets are those of Kafka 4.3.1 with no authorizer', () => {
  const O = AclOperation;
  assert.equal(authorizedOperations(null, 'User:ANONYMOUS', AclResourceType.CLUSTER, 'kafka-cluster'), CLUSTER);
  assert.equal(CLUSTER, operationsBitField([O.CREATE, O.ALTER, O.DESCRIBE, O.CLUSTER_ACTION, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS, O.IDEMPOTENT_WRITE]));
  assert.equal(authorizedOperations(null, 'User:ANONYMOUS', AclResourceType.TOPIC, 't'), TOPIC);
  assert.equal(TOPIC, operationsBitField([O.READ, O.WRITE, O.CREATE, O.DELETE, O.ALTER, O.DESCRIBE, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS]));
  assert.equal(authorizedOperations(null, 'User:ANONYMOUS', AclResourceType.GROUP, 'g'), GROUP);
  assert.equal(GROUP, operationsBitField([O.READ, O.DELETE, O.DESCRIBE, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS]));
  // An authorizer narrows the set to what it allows.
  const describeOnly: Authorizer = { authorize: (_p, op) => op === O.DESCRIBE };
  assert.equal(authorizedOperations(describeOnly, 'User:alice', AclResourceType.TOPIC, 't'), 1 << O.DESCRIBE);
});

describe('authorized operations over the wire', () => {
  let tb: TestBroker;
  let c: Connection;
  before(async () => {
    tb = await startBroker();
    c = await connect(tb);
    await createTopic(c, 'ops');
  });
  after(async () => {
    await c.close();
    await tb.close();
  });

  const metadata = (version: number, include: boolean, names: Array<string | null>) =>
    c.send(
      ApiKey.Metadata,
      {
        topics: names.map((name) => (name === null ? { name, topicId: '11111111-2222-3333-4444-555555555555' } : { name, topicId: ZERO_UUID })),
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: include && version <= 10,
        includeTopicAuthorizedOperations: include,
      },
      { version },
    );

  test('Metadata v8-v10: cluster and topic operations when asked, INT32_MIN otherwise', async () => {
    for (const v of [8, 9, 10]) {
      const md = await metadata(v, true, ['ops', 'no-such-topic', 'bad name!']);
      assert.equal(md.clusterAuthorizedOperations, CLUSTER, `v${v} cluster`);
      assert.deepEqual(
        md.topics.map((t) => [t.name, t.errorCode, t.topicAuthorizedOperations]),
        [
          ['ops', ErrorCode.NONE, TOPIC],
          ['no-such-topic', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, TOPIC],
          ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION, TOPIC],
        ],
        `v${v} topics`,
      );
      const plain = await metadata(v, false, ['ops']);
      assert.equal(plain.clusterAuthorizedOperations, OMITTED);
      assert.equal(plain.topics[0]!.topicAuthorizedOperations, OMITTED);
    }
  });

  test('Metadata v12: topic operations by name; none for an unknown topic id', async () => {
    const md = await metadata(12, true, ['ops']);
    assert.equal(md.topics[0]!.topicAuthorizedOperations, TOPIC);
    const byId = await metadata(12, true, [null]);
    assert.equal(byId.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    assert.equal(byId.topics[0]!.topicAuthorizedOperations, OMITTED);
  });

  test('DescribeCluster: the cluster operations without ANY and ALL', async () => {
    for (const v of [0, 1, 2]) {
      const on = await c.send(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: true, endpointType: 1, includeFencedBrokers: false }, { version: v });
      assert.equal(on.clusterAuthorizedOperations, CLUSTER, `v${v}`);
      const off = await c.send(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false }, { version: v });
      assert.equal(off.clusterAuthorizedOperations, OMITTED, `v${v}`);
    }
  });

  test('DescribeGroups v3+ and ConsumerGroupDescribe: the group operations for a group described without error', async () => {
    const hb = await c.send(ApiKey.ConsumerGroupHeartbeat, {
      groupId: 'cg',
      memberId: 'abcdefghijklmnopqrstuv',
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ['ops'],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [],
    }, { version: 0 });
    assert.equal(hb.errorCode, ErrorCode.NONE);
    const cgd = await c.send(ApiKey.ConsumerGroupDescribe, { groupIds: ['cg', 'missing'], includeAuthorizedOperations: true });
    assert.deepEqual(cgd.groups.map((g) => [g.groupId, g.errorCode, g.authorizedOperations]), [
      ['cg', ErrorCode.NONE, GROUP],
      ['missing', ErrorCode.GROUP_ID_NOT_FOUND, OMITTED],
    ]);
    const off = await c.send(ApiKey.ConsumerGroupDescribe, { groupIds: ['cg'], includeAuthorizedOperations: false });
    assert.equal(off.groups[0]!.authorizedOperations, OMITTED);

    for (const v of [3, 5]) {
      const dg = await c.send(ApiKey.DescribeGroups, { groups: ['unknown-group'], includeAuthorizedOperations: true }, { version: v });
      assert.equal(dg.groups[0]!.errorCode, ErrorCode.NONE);
      assert.equal(dg.groups[0]!.authorizedOperations, GROUP, `DescribeGroups v${v}`);
      const dgOff = await c.send(ApiKey.DescribeGroups, { groups: ['unknown-group'], includeAuthorizedOperations: false }, { version: v });
      assert.equal(dgOff.groups[0]!.authorizedOperations, OMITTED);
    }
  });
});
