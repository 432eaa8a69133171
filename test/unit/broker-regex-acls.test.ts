// KIP-848 ConsumerGroupHeartbeat with SubscribedTopicRegex under ACLs: as in Kafka, a member is
// assigned only the regex matches its principal may DESCRIBE. alice (USER listener, test seam
// principalBuilder) may read the group and describe `pub-*` topics; `pub-secret` has a DENY; a
// grant added later is picked up when the group's subscriptions are evaluated again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { AclOperation as O, AclResourceType as R } from '../../src/broker/authorization.js';
import { AclPermission, PatternType } from '../../src/broker/acl/acl.js';
import { connect, createTopic, startBroker, topicId } from './helpers/broker-client.js';

const ALICE = 'User:alice';

async function acl(admin: Connection, resourceType: number, resourceName: string, operation: number, patternType: number = PatternType.LITERAL, permission: number = AclPermission.ALLOW): Promise<void> {
  const r = await admin.send(ApiKey.CreateAcls, {
    creations: [{ resourceType, resourceName, resourcePatternType: patternType, principal: ALICE, host: '*', operation, permissionType: permission }],
  });
  assert.equal(r.results[0]!.errorCode, ErrorCode.NONE);
}

test('a regex subscription is assigned only the matching topics the member may DESCRIBE', async () => {
  const tb = await startBroker(
    {
      listeners: 'ADMIN://127.0.0.1:0,USER://127.0.0.1:0',
      'listener.security.protocol.map': 'ADMIN:PLAINTEXT,USER:PLAINTEXT',
      'inter.broker.listener.name': 'ADMIN',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin',
    },
    { principalBuilder: (c) => (c.listenerName === 'ADMIN' ? 'User:admin' : ALICE) },
  );
  const port = (n: string): number => tb.broker.listeners.find((l) => l.name === n)!.port;
  const admin = await connect(tb, { port: port('ADMIN') });
  const alice = await connect(tb, { port: port('USER') });
  try {
    for (const t of ['pub-a', 'pub-secret', 'priv-b']) await createTopic(admin, t);
    const ids = new Map<string, string>();
    for (const t of ['pub-a', 'pub-secret', 'priv-b']) ids.set(await topicId(admin, t), t);
    await acl(admin, R.GROUP, 'g', O.READ);
    await acl(admin, R.TOPIC, 'pub-', O.DESCRIBE, PatternType.PREFIXED);
    await acl(admin, R.TOPIC, 'pub-secret', O.DESCRIBE, PatternType.LITERAL, AclPermission.DENY);

    const memberId = 'regexmember0123456789a';
    const heartbeat = async (epoch: number) => {
      const r = await alice.send(
        ApiKey.ConsumerGroupHeartbeat,
        {
          groupId: 'g',
          memberId,
          memberEpoch: epoch,
          instanceId: null,
          rackId: null,
          rebalanceTimeoutMs: epoch === 0 ? 30_000 : -1,
          subscribedTopicNames: null,
          subscribedTopicRegex: epoch === 0 ? '.*' : null,
          serverAssignor: null,
          topicPartitions: epoch === 0 ? [] : null,
        },
        { version: 1 },
      );
      assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
      return r;
    };
    const assigned = (r: Awaited<ReturnType<typeof heartbeat>>): string[] => (r.assignment?.topicPartitions ?? []).map((tp) => ids.get(tp.topicId) ?? tp.topicId).sort();

    const first = await heartbeat(0);
    assert.deepEqual(assigned(first), ['pub-a'], 'pub-secret (DENY) and priv-b (no ACL) are not assigned');

    // alice may now describe priv-b: a new topic makes the coordinator evaluate the subscriptions again.
    await acl(admin, R.TOPIC, 'priv-b', O.DESCRIBE);
    await createTopic(admin, 'pub-new');
    ids.set(await topicId(admin, 'pub-new'), 'pub-new');
    let r = await heartbeat(first.memberEpoch);
    for (let i = 0; i < 5 && r.assignment === null; i++) r = await heartbeat(r.memberEpoch);
    assert.deepEqual(assigned(r), ['priv-b', 'pub-a', 'pub-new']);

    // The group as DescribeGroups shows it to the super user carries no secret topic either.
    const d = await admin.send(ApiKey.ConsumerGroupDescribe, { groupIds: ['g'], includeAuthorizedOperations: false });
    const target = d.groups[0]!.members[0]!.targetAssignment.topicPartitions.map((tp) => tp.topicName).sort();
    assert.deepEqual(target, ['priv-b', 'pub-a', 'pub-new']);
  } finally {
    admin.close();
    alice.close();
    await tb.close();
  }
});
