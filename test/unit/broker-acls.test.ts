// ACLs end to end over the raw protocol: an in-process broker with Kafka's StandardAuthorizer
// name, two PLAINTEXT listeners and the broker's test seam `principalBuilder` (BrokerRuntimeOptions)
// giving connections on ADMIN the principal User:admin (a super user) and on USER User:alice.
// Each case of the matrix sends a request as alice without ACLs and expects Kafka's exact error
// code in the right place, grants the one ACL Kafka checks, expects the request to pass that
// check, and removes the ACL again.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { AclOperation as O, AclResourceType as R } from '../../src/broker/authorization.js';
import { AclPermission, PatternType } from '../../src/broker/acl/acl.js';
import { batch, connect, fetchRequest, listOffsetsRequest, produceRequest, startBroker, ZERO_UUID, type TestBroker } from './helpers/broker-client.js';

const ALICE = 'User:alice';
const E = ErrorCode;

interface Grant {
  resourceType: number;
  resourceName: string;
  operation: number;
  patternType?: number;
  permission?: number;
  principal?: string;
  host?: string;
}

async function startAclBroker(extra: Record<string, string> = {}): Promise<TestBroker> {
  return startBroker(
    {
      listeners: 'ADMIN://127.0.0.1:0,USER://127.0.0.1:0',
      'listener.security.protocol.map': 'ADMIN:PLAINTEXT,USER:PLAINTEXT',
      'inter.broker.listener.name': 'ADMIN',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin',
      'auto.create.topics.enable': 'true',
      ...extra,
    },
    { principalBuilder: (c) => (c.listenerName === 'ADMIN' ? 'User:admin' : ALICE) },
  );
}

function portOf(tb: TestBroker, listener: string): number {
  return tb.broker.listeners.find((l) => l.name === listener)!.port;
}

function creation(g: Grant) {
  return {
    resourceType: g.resourceType,
    resourceName: g.resourceName,
    resourcePatternType: g.patternType ?? PatternType.LITERAL,
    principal: g.principal ?? ALICE,
    host: g.host ?? '*',
    operation: g.operation,
    permissionType: g.permission ?? AclPermission.ALLOW,
  };
}

async function addAcls(admin: Connection, grants: Grant[]): Promise<void> {
  const r = await admin.send(ApiKey.CreateAcls, { creations: grants.map(creation) });
  for (const x of r.results) assert.equal(x.errorCode, E.NONE, x.errorMessage ?? '');
}

async function removeAllAcls(admin: Connection): Promise<number> {
  const r = await admin.send(ApiKey.DeleteAcls, {
    filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: O.ANY, permissionType: AclPermission.ANY }],
  });
  assert.equal(r.filterResults[0]!.errorCode, E.NONE);
  return r.filterResults[0]!.matchingAcls.length;
}

describe('authorization matrix (every API x resource x operation, allowed and denied)', () => {
  let tb: TestBroker;
  let admin: Connection;
  let alice: Connection;
  before(async () => {
    tb = await startAclBroker();
    admin = await connect(tb, { port: portOf(tb, 'ADMIN') });
    alice = await connect(tb, { port: portOf(tb, 'USER') });
    for (const name of ['t', 'victim', 'grow']) {
      const r = await admin.send(ApiKey.CreateTopics, {
        topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      assert.equal(r.topics[0]!.errorCode, E.NONE);
    }
    const p = await admin.send(ApiKey.Produce, produceRequest('t', 0, batch(['a', 'b'])), { version: 12 });
    assert.equal(p.responses[0]!.partitionResponses[0]!.errorCode, E.NONE);
  });
  after(async () => {
    await alice.close();
    await admin.close();
    await tb.close();
  });

  interface Case {
    api: string;
    grants: Grant[];
    /** Sends as alice and returns the error code where Kafka puts it. */
    run: () => Promise<number>;
    denied: number;
    /** The code expected once granted (default NONE). */
    allowed?: number;
  }
  const topicCode = <T extends { partitions?: Array<{ errorCode: number }> }>(x: T) => x.partitions![0]!.errorCode;
  const cases: Case[] = [
    {
      api: 'Produce: topic WRITE',
      grants: [{ resourceType: R.TOPIC, resourceName: 't', operation: O.WRITE }],
      run: async () => (await alice.send(ApiKey.Produce, produceRequest('t', 0, batch(['x'])), { version: 12 })).responses[0]!.partitionResponses[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'Fetch: topic READ',
      grants: [{ resourceType: R.TOPIC, resourceName: 't', operation: O.READ }],
      run: async () => (await alice.send(ApiKey.Fetch, fetchRequest({ topic: 't', offset: 0 }), { version: 12 })).responses[0]!.partitions[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'ListOffsets: topic DESCRIBE',
      grants: [{ resourceType: R.TOPIC, resourceName: 't', operation: O.DESCRIBE }],
      run: async () => (await alice.send(ApiKey.ListOffsets, listOffsetsRequest('t', 0, -1n))).topics[0]!.partitions[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'Metadata (named): topic DESCRIBE, implied by READ',
      grants: [{ resourceType: R.TOPIC, resourceName: 't', operation: O.READ }],
      run: async () =>
        (await alice.send(ApiKey.Metadata, { topics: [{ name: 't', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })).topics[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'Metadata auto-create: topic CREATE (after DESCRIBE)',
      grants: [
        { resourceType: R.TOPIC, resourceName: 'auto-', patternType: PatternType.PREFIXED, operation: O.DESCRIBE },
        { resourceType: R.TOPIC, resourceName: 'auto-', patternType: PatternType.PREFIXED, operation: O.CREATE },
      ],
      run: async () =>
        (await alice.send(ApiKey.Metadata, { topics: [{ name: 'auto-1', topicId: ZERO_UUID }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })).topics[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'CreateTopics: cluster CREATE',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.CREATE }],
      run: async () =>
        (await alice.send(ApiKey.CreateTopics, { topics: [{ name: 'new-by-cluster', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: true })).topics[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'CreateTopics: topic CREATE',
      grants: [{ resourceType: R.TOPIC, resourceName: 'new-by-topic', operation: O.CREATE }],
      run: async () =>
        (await alice.send(ApiKey.CreateTopics, { topics: [{ name: 'new-by-topic', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: true })).topics[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'CreatePartitions: topic ALTER',
      grants: [{ resourceType: R.TOPIC, resourceName: 'grow', operation: O.ALTER }],
      run: async () => (await alice.send(ApiKey.CreatePartitions, { topics: [{ name: 'grow', count: 2, assignments: null }], timeoutMs: 10_000, validateOnly: true })).results[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'DeleteRecords: topic DELETE',
      grants: [{ resourceType: R.TOPIC, resourceName: 't', operation: O.DELETE }],
      run: async () => (await alice.send(ApiKey.DeleteRecords, { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 10_000 })).topics[0]!.partitions[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'DescribeProducers: topic READ',
      grants: [{ resourceType: R.TOPIC, resourceName: 't', operation: O.READ }],
      run: async () => (await alice.send(ApiKey.DescribeProducers, { topics: [{ name: 't', partitionIndexes: [0] }] })).topics[0]!.partitions[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'DescribeUserScramCredentials: cluster DESCRIBE',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.DESCRIBE }],
      run: async () => (await alice.send(ApiKey.DescribeUserScramCredentials, { users: null })).errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      api: 'AlterUserScramCredentials: cluster ALTER',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.ALTER }],
      run: async () => (await alice.send(ApiKey.AlterUserScramCredentials, { deletions: [{ name: 'nobody', mechanism: 1 }], upsertions: [] })).results[0]!.errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
      allowed: E.RESOURCE_NOT_FOUND,
    },
    {
      api: 'DescribeClientQuotas: cluster DESCRIBE_CONFIGS',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.DESCRIBE_CONFIGS }],
      run: async () => (await alice.send(ApiKey.DescribeClientQuotas, { components: [], strict: false })).errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      api: 'AlterClientQuotas: cluster ALTER_CONFIGS',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.ALTER_CONFIGS }],
      run: async () =>
        (await alice.send(ApiKey.AlterClientQuotas, { entries: [{ entity: [{ entityType: 'user', entityName: 'x' }], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] }], validateOnly: true })).entries[0]!.errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      api: 'DescribeConfigs topic: topic DESCRIBE_CONFIGS (implied by ALTER_CONFIGS)',
      grants: [{ resourceType: R.TOPIC, resourceName: 't', operation: O.ALTER_CONFIGS }],
      run: async () =>
        (await alice.send(ApiKey.DescribeConfigs, { resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false })).results[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'DescribeConfigs broker: cluster DESCRIBE_CONFIGS',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.DESCRIBE_CONFIGS }],
      run: async () =>
        (await alice.send(ApiKey.DescribeConfigs, { resources: [{ resourceType: 4, resourceName: String(tb.broker.config.nodeId), configurationKeys: ['log.retention.ms'] }], includeSynonyms: false, includeDocumentation: false })).results[0]!.errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      api: 'IncrementalAlterConfigs topic: topic ALTER_CONFIGS',
      grants: [{ resourceType: R.TOPIC, resourceName: 't', operation: O.ALTER_CONFIGS }],
      run: async () =>
        (await alice.send(ApiKey.IncrementalAlterConfigs, { resources: [{ resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: 0, value: '100000' }] }], validateOnly: true })).responses[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'IncrementalAlterConfigs broker: cluster ALTER_CONFIGS',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.ALTER_CONFIGS }],
      run: async () =>
        (await alice.send(ApiKey.IncrementalAlterConfigs, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.cleaner.threads', configOperation: 0, value: '1' }] }], validateOnly: true })).responses[0]!.errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      api: 'DeleteTopics: topic DELETE',
      grants: [{ resourceType: R.TOPIC, resourceName: 'victim', operation: O.DELETE }],
      run: async () => (await alice.send(ApiKey.DeleteTopics, { topics: [{ name: 'victim', topicId: ZERO_UUID }], topicNames: ['victim'], timeoutMs: 10_000 })).responses[0]!.errorCode,
      denied: E.TOPIC_AUTHORIZATION_FAILED,
    },
    {
      api: 'FindCoordinator group: group DESCRIBE',
      grants: [{ resourceType: R.GROUP, resourceName: 'g', operation: O.DESCRIBE }],
      run: async () => (await alice.send(ApiKey.FindCoordinator, { key: '', keyType: 0, coordinatorKeys: ['g'] })).coordinators[0]!.errorCode,
      denied: E.GROUP_AUTHORIZATION_FAILED,
    },
    {
      api: 'FindCoordinator transaction: transactional id DESCRIBE',
      grants: [{ resourceType: R.TRANSACTIONAL_ID, resourceName: 'tx', operation: O.DESCRIBE }],
      run: async () => (await alice.send(ApiKey.FindCoordinator, { key: '', keyType: 1, coordinatorKeys: ['tx'] })).coordinators[0]!.errorCode,
      denied: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    },
    {
      api: 'JoinGroup: group READ',
      grants: [{ resourceType: R.GROUP, resourceName: 'g', operation: O.READ }],
      run: async () =>
        (
          await alice.send(ApiKey.JoinGroup, {
            groupId: 'g',
            sessionTimeoutMs: 10_000,
            rebalanceTimeoutMs: 10_000,
            memberId: '',
            groupInstanceId: null,
            protocolType: 'consumer',
            protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
            reason: null,
          })
        ).errorCode,
      denied: E.GROUP_AUTHORIZATION_FAILED,
      allowed: E.MEMBER_ID_REQUIRED,
    },
    {
      api: 'OffsetCommit: group READ (and topic READ)',
      grants: [
        { resourceType: R.GROUP, resourceName: 'g', operation: O.READ },
        { resourceType: R.TOPIC, resourceName: 't', operation: O.READ },
      ],
      run: async () =>
        topicCode(
          (
            await alice.send(ApiKey.OffsetCommit, {
              groupId: 'g',
              generationIdOrMemberEpoch: -1,
              memberId: '',
              groupInstanceId: null,
              retentionTimeMs: -1n,
              topics: [{ name: 't', topicId: ZERO_UUID, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
            }, { version: 8 })
          ).topics[0]!,
        ),
      denied: E.GROUP_AUTHORIZATION_FAILED,
    },
    {
      api: 'OffsetFetch: group DESCRIBE',
      grants: [{ resourceType: R.GROUP, resourceName: 'g', operation: O.DESCRIBE }],
      run: async () =>
        (await alice.send(ApiKey.OffsetFetch, { groupId: '', topics: [], groups: [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }], requireStable: false }, { version: 8 })).groups[0]!.errorCode,
      denied: E.GROUP_AUTHORIZATION_FAILED,
    },
    {
      api: 'DescribeGroups: group DESCRIBE',
      grants: [{ resourceType: R.GROUP, resourceName: 'g', operation: O.DESCRIBE }],
      run: async () => (await alice.send(ApiKey.DescribeGroups, { groups: ['g'], includeAuthorizedOperations: false })).groups[0]!.errorCode,
      denied: E.GROUP_AUTHORIZATION_FAILED,
    },
    {
      api: 'DeleteGroups: group DELETE',
      grants: [{ resourceType: R.GROUP, resourceName: 'nogroup', operation: O.DELETE }],
      run: async () => (await alice.send(ApiKey.DeleteGroups, { groupsNames: ['nogroup'] })).results[0]!.errorCode,
      denied: E.GROUP_AUTHORIZATION_FAILED,
      allowed: E.GROUP_ID_NOT_FOUND,
    },
    {
      api: 'InitProducerId transactional: transactional id WRITE',
      grants: [{ resourceType: R.TRANSACTIONAL_ID, resourceName: 'tx', operation: O.WRITE }],
      run: async () =>
        (await alice.send(ApiKey.InitProducerId, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false })).errorCode,
      denied: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    },
    {
      api: 'InitProducerId idempotent: cluster IDEMPOTENT_WRITE',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.IDEMPOTENT_WRITE }],
      run: async () =>
        (await alice.send(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false })).errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      api: 'InitProducerId idempotent: WRITE on some topic (KIP-679)',
      grants: [{ resourceType: R.TOPIC, resourceName: 'pre', patternType: PatternType.PREFIXED, operation: O.WRITE }],
      run: async () =>
        (await alice.send(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false })).errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      api: 'EndTxn: transactional id WRITE',
      grants: [{ resourceType: R.TRANSACTIONAL_ID, resourceName: 'tx', operation: O.WRITE }],
      run: async () => (await alice.send(ApiKey.EndTxn, { transactionalId: 'tx', producerId: 12345n, producerEpoch: 0, committed: true })).errorCode,
      denied: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      allowed: E.INVALID_PRODUCER_ID_MAPPING,
    },
    {
      api: 'DescribeAcls: cluster DESCRIBE',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.DESCRIBE }],
      run: async () =>
        (await alice.send(ApiKey.DescribeAcls, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: O.ANY, permissionType: AclPermission.ANY })).errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      api: 'CreateAcls: cluster ALTER',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.ALTER }],
      run: async () => (await alice.send(ApiKey.CreateAcls, { creations: [creation({ resourceType: R.TOPIC, resourceName: 'zzz', operation: O.READ, principal: 'User:bob' })] })).results[0]!.errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      api: 'DescribeLogDirs: cluster DESCRIBE',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.DESCRIBE }],
      run: async () => (await alice.send(ApiKey.DescribeLogDirs, { topics: null })).errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      api: 'ElectLeaders: cluster ALTER',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.ALTER }],
      run: async () => (await alice.send(ApiKey.ElectLeaders, { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 10_000 })).errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
    },
    {
      api: 'WriteTxnMarkers: cluster CLUSTER_ACTION',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.CLUSTER_ACTION }],
      run: async () =>
        (
          await alice.send(ApiKey.WriteTxnMarkers, {
            markers: [{ producerId: 999n, producerEpoch: 0, transactionResult: false, topics: [{ name: 'nope', partitionIndexes: [0] }], coordinatorEpoch: 0, transactionVersion: 0 }],
          })
        ).markers[0]!.topics[0]!.partitions[0]!.errorCode,
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
      allowed: E.UNKNOWN_TOPIC_OR_PARTITION,
    },
    {
      // CVE-2018-1288: a fetch claiming to be a replica is refused without CLUSTER_ACTION, even
      // with READ on the topic; with CLUSTER_ACTION it is served as a follower fetch.
      api: 'Fetch as a replica (replica_id >= 0): cluster CLUSTER_ACTION',
      grants: [{ resourceType: R.CLUSTER, resourceName: 'kafka-cluster', operation: O.CLUSTER_ACTION }],
      run: async () => {
        await addAcls(admin, [{ resourceType: R.TOPIC, resourceName: 't', operation: O.READ }]);
        const r = await alice.send(ApiKey.Fetch, { ...fetchRequest({ topic: 't', offset: 0 }), replicaId: tb.broker.config.nodeId }, { version: 12 });
        return r.responses[0]!.partitions[0]!.errorCode;
      },
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      // Past the check, the replica path answers: a single node has no followers of its own partitions.
      allowed: E.NOT_LEADER_OR_FOLLOWER,
    },
  ];

  for (const c of cases) {
    test(c.api, async () => {
      assert.equal(await removeAllAcls(admin) >= 0, true);
      assert.equal(await c.run(), c.denied, 'denied without ACLs');
      await addAcls(admin, c.grants);
      const code = await c.run();
      assert.equal(code, c.allowed ?? E.NONE, `allowed with ${JSON.stringify(c.grants)}`);
      await removeAllAcls(admin);
    });
  }

  test('Metadata for all topics hides the topics alice may not DESCRIBE', async () => {
    await removeAllAcls(admin);
    const all = () => alice.send(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.deepEqual((await all()).topics.map((t) => t.name), []);
    await addAcls(admin, [{ resourceType: R.TOPIC, resourceName: 't', operation: O.WRITE }]);
    assert.deepEqual((await all()).topics.map((t) => t.name), ['t']);
    // An unknown topic alice may DESCRIBE answers UNKNOWN_TOPIC_OR_PARTITION; one she may not, TOPIC_AUTHORIZATION_FAILED.
    await addAcls(admin, [{ resourceType: R.TOPIC, resourceName: 'ghost', operation: O.DESCRIBE }]);
    const named = await alice.send(ApiKey.Metadata, {
      topics: [{ name: 'ghost', topicId: ZERO_UUID }, { name: 'ghost2', topicId: ZERO_UUID }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.deepEqual(named.topics.map((t) => [t.name, t.errorCode]), [['ghost', E.UNKNOWN_TOPIC_OR_PARTITION], ['ghost2', E.TOPIC_AUTHORIZATION_FAILED]]);
    await removeAllAcls(admin);
  });

  test('DENY wins over ALLOW; a wildcard principal, a prefixed pattern and the * resource all apply', async () => {
    await removeAllAcls(admin);
    const produce = async () => (await alice.send(ApiKey.Produce, produceRequest('t', 0, batch(['y'])), { version: 12 })).responses[0]!.partitionResponses[0]!.errorCode;
    await addAcls(admin, [{ resourceType: R.TOPIC, resourceName: '*', operation: O.ALL, principal: 'User:*' }]);
    assert.equal(await produce(), E.NONE);
    await addAcls(admin, [{ resourceType: R.TOPIC, resourceName: 't', patternType: PatternType.PREFIXED, operation: O.WRITE, permission: AclPermission.DENY }]);
    assert.equal(await produce(), E.TOPIC_AUTHORIZATION_FAILED);
    await removeAllAcls(admin);
  });

  test('ListGroups shows only the groups alice may DESCRIBE; the cluster DESCRIBE shows all', async () => {
    await removeAllAcls(admin);
    const join = await admin.send(ApiKey.JoinGroup, {
      groupId: 'visible',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
      reason: null,
    }, { version: 3 });
    assert.equal(join.errorCode, E.NONE);
    const list = async () => (await alice.send(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] })).groups.map((g) => g.groupId);
    assert.deepEqual(await list(), []);
    await addAcls(admin, [{ resourceType: R.GROUP, resourceName: 'vis', patternType: PatternType.PREFIXED, operation: O.DESCRIBE }]);
    assert.deepEqual(await list(), ['visible']);
    await removeAllAcls(admin);
  });
});

describe('ACL APIs', () => {
  test('without an authorizer: SECURITY_DISABLED in every result', async () => {
    const tb = await startBroker();
    const c = await connect(tb);
    try {
      const cr = await c.send(ApiKey.CreateAcls, { creations: [creation({ resourceType: R.TOPIC, resourceName: 't', operation: O.READ })] });
      assert.equal(cr.results[0]!.errorCode, E.SECURITY_DISABLED);
      const de = await c.send(ApiKey.DescribeAcls, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
      assert.equal(de.errorCode, E.SECURITY_DISABLED);
      const dl = await c.send(ApiKey.DeleteAcls, { filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] });
      assert.equal(dl.filterResults[0]!.errorCode, E.SECURITY_DISABLED);
    } finally {
      await c.close();
      await tb.close();
    }
  });

  test('invalid bindings fail alone with INVALID_REQUEST; ACLs are described by pattern and persist across a restart', async () => {
    const tb = await startAclBroker();
    let admin = await connect(tb, { port: portOf(tb, 'ADMIN') });
    try {
      const bad = await admin.send(ApiKey.CreateAcls, {
        creations: [
          creation({ resourceType: R.TOPIC, resourceName: 'ok', operation: O.READ }),
          creation({ resourceType: 1, resourceName: 'x', operation: O.READ }),
          creation({ resourceType: R.TOPIC, resourceName: 'x', operation: O.ANY }),
          creation({ resourceType: R.TOPIC, resourceName: 'x', operation: O.READ, patternType: PatternType.MATCH }),
          creation({ resourceType: R.CLUSTER, resourceName: 'other', operation: O.ALTER }),
          creation({ resourceType: R.TOPIC, resourceName: '', operation: O.READ }),
          creation({ resourceType: R.TOPIC, resourceName: 'x', operation: O.READ, principal: 'alice' }),
          creation({ resourceType: R.TOPIC, resourceName: 'x', operation: O.READ, permission: AclPermission.ANY }),
        ],
      });
      assert.deepEqual(bad.results.map((r) => r.errorCode), [E.NONE, ...Array(7).fill(E.INVALID_REQUEST)]);
      await addAcls(admin, [{ resourceType: R.TOPIC, resourceName: 'ok', operation: O.WRITE }, { resourceType: R.GROUP, resourceName: 'g-', patternType: PatternType.PREFIXED, operation: O.READ }]);
      const describeAll = async () =>
        (await admin.send(ApiKey.DescribeAcls, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: O.ANY, permissionType: AclPermission.ANY })).resources
          .map((r) => `${r.resourceType}:${r.resourceName}:${r.patternType}:${r.acls.map((a) => `${a.principal}/${a.host}/${a.operation}/${a.permissionType}`).join(',')}`)
          .sort();
      const before = await describeAll();
      assert.deepEqual(before, ['2:ok:3:User:alice/*/3/3,User:alice/*/4/3', '3:g-:4:User:alice/*/3/3']);
      // MATCH finds the prefixed ACL for a group named by it.
      const m = await admin.send(ApiKey.DescribeAcls, { resourceTypeFilter: R.GROUP, resourceNameFilter: 'g-1', patternTypeFilter: PatternType.MATCH, principalFilter: null, hostFilter: null, operation: O.ANY, permissionType: AclPermission.ANY });
      assert.deepEqual(m.resources.map((r) => r.resourceName), ['g-']);
      await admin.close();
      await tb.restart();
      admin = await connect(tb, { port: portOf(tb, 'ADMIN') });
      assert.deepEqual(await describeAll(), before);
      const del = await admin.send(ApiKey.DeleteAcls, {
        filters: [{ resourceTypeFilter: R.TOPIC, resourceNameFilter: 'ok', patternTypeFilter: PatternType.LITERAL, principalFilter: ALICE, hostFilter: null, operation: O.WRITE, permissionType: AclPermission.ANY }],
      });
      assert.equal(del.filterResults[0]!.matchingAcls.length, 1);
      await admin.close();
      await tb.restart();
      admin = await connect(tb, { port: portOf(tb, 'ADMIN') });
      assert.deepEqual(await describeAll(), ['2:ok:3:User:alice/*/3/3', '3:g-:4:User:alice/*/3/3']);
    } finally {
      await admin.close();
      await tb.close();
    }
  });

  test('an unknown authorizer.class.name is refused at startup', async () => {
    await assert.rejects(startBroker({ 'authorizer.class.name': 'com.example.Nope' }), /authorizer\.class\.name/);
  });
});
