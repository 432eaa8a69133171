// Group configs (the GROUP config resource, type 32): the coordinator applies a group's own
// consumer.session.timeout.ms and consumer.heartbeat.interval.ms; DescribeConfigs and
// IncrementalAlterConfigs over the wire, checked against the broker's group.consumer.* bounds;
// persisted across a restart; the admin client and kafka-configs --entity-type groups (output as
// Apache Kafka 4.3.1's ConfigCommand prints it).
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { GroupCoordinator, ManualClock, type ConsumerGroupHeartbeatRequestData } from '../../src/broker/coordinator/index.js';
import type { GroupConfigOverrides } from '../../src/broker/coordinator/group-config.js';
import { Admin, AdminError } from '../../src/client/admin.js';
import { configsCommand } from '../../src/cli/configs.js';
import { MemoryStorage } from './helpers/memory-storage.js';
import { connect, createTopic, startBroker, type TestBroker } from './helpers/broker-client.js';

const TA = '11111111-1111-1111-1111-111111111111';

function join(groupId: string, over: Partial<ConsumerGroupHeartbeatRequestData> = {}): ConsumerGroupHeartbeatRequestData {
  return {
    groupId,
    memberId: '',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['topic-a'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    apiVersion: 0,
    ...over,
  };
}

describe('the coordinator applies group configs', () => {
  test("a KIP-848 group's own session timeout and heartbeat interval win over the broker's, looked up at each use", async () => {
    const clock = new ManualClock();
    const own = new Map<string, GroupConfigOverrides>([['tuned', { consumerSessionTimeoutMs: 8000, consumerHeartbeatIntervalMs: 2000 }]]);
    const gc = new GroupCoordinator({
      storage: new MemoryStorage(4),
      clock,
      config: { consumerSessionTimeoutMs: 45_000, consumerHeartbeatIntervalMs: 5000 },
      topicPartitions: () => 2,
      topics: () => [{ name: 'topic-a', topicId: TA, partitions: 2 }],
      groupConfig: (g) => own.get(g),
    });
    gc.start();
    try {
      const tuned = await gc.consumerGroupHeartbeat(join('tuned'));
      const plain = await gc.consumerGroupHeartbeat(join('plain'));
      assert.equal(tuned.heartbeatIntervalMs, 2000);
      assert.equal(plain.heartbeatIntervalMs, 5000);
      clock.advance(8000);
      for (let i = 0; i < 3; i++) await tick();
      assert.equal(gc.consumerGroup('tuned')!.members.size, 0, "the group's 8 s session timed out");
      assert.equal(gc.consumerGroup('plain')!.members.size, 1, "the broker's 45 s did not");
      own.set('plain', { consumerHeartbeatIntervalMs: 3000 });
      const again = await gc.consumerGroupHeartbeat(join('plain', { memberId: plain.memberId!, memberEpoch: plain.memberEpoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null }));
      assert.equal(again.heartbeatIntervalMs, 3000, 'a change applies at the next heartbeat');
    } finally {
      gc.close();
    }
  });
});

describe('group configs over the wire', () => {
  let tb: TestBroker;
  let admin: Admin;
  const G = { type: 'group' as const, name: 'cfg-group' };
  before(async () => {
    tb = await startBroker({
      'offsets.topic.num.partitions': 1,
      'group.consumer.session.timeout.ms': 10000,
      'group.consumer.min.session.timeout.ms': 6000,
      'group.consumer.heartbeat.interval.ms': 1000,
      'group.consumer.min.heartbeat.interval.ms': 1000,
    });
    admin = await Admin.connect({ bootstrap: tb.broker.bootstrap });
  });
  after(async () => {
    await admin.close();
    await tb.close();
  });

  const describeGroup = async (): Promise<Record<string, [string | null, string]>> =>
    Object.fromEntries((await admin.describeConfigs([G]))[0]!.entries.map((e) => [e.name, [e.value, e.source]]));

  test("set, refused outside the broker's bounds with Kafka's messages, applied by ConsumerGroupHeartbeat, kept across a restart", async () => {
    assert.deepEqual((await describeGroup())['consumer.session.timeout.ms'], ['10000', 'STATIC_BROKER_CONFIG']);
    await assert.rejects(admin.incrementalAlterConfigs(G, [{ name: 'consumer.session.timeout.ms', value: '5000' }]), (e: unknown) => {
      assert.ok(e instanceof AdminError);
      assert.equal(e.failures[0]!.error.code, ErrorCode.INVALID_CONFIG);
      assert.equal(e.failures[0]!.error.message, 'consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms');
      return true;
    });
    await assert.rejects(admin.incrementalAlterConfigs(G, [{ name: 'consumer.heartbeat.interval.ms', value: '10000' }]), /consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms/);
    await assert.rejects(admin.incrementalAlterConfigs(G, [{ name: 'consumer.session.timeout', value: '10000' }]), /Unknown group config name: consumer.session.timeout/);
    await admin.incrementalAlterConfigs(G, [
      { name: 'consumer.session.timeout.ms', value: '20000' },
      { name: 'consumer.heartbeat.interval.ms', value: '2500' },
    ]);
    assert.deepEqual((await describeGroup())['consumer.session.timeout.ms'], ['20000', 'DYNAMIC_GROUP_CONFIG']);

    const heartbeat = async (): Promise<number> => {
      const c = await connect(tb);
      try {
        await createTopic(c, 'cfg-topic', 1).catch(() => undefined);
        const hb = await c.send(ApiKey.ConsumerGroupHeartbeat, {
          groupId: G.name,
          memberId: randomUUID(), // v1 (KIP-1082): the member brings its id
          memberEpoch: 0,
          instanceId: null,
          rackId: null,
          rebalanceTimeoutMs: 30_000,
          subscribedTopicNames: ['cfg-topic'],
          subscribedTopicRegex: null,
          serverAssignor: null,
          topicPartitions: [],
        });
        assert.equal(hb.errorCode, ErrorCode.NONE, hb.errorMessage ?? '');
        await c.send(ApiKey.ConsumerGroupHeartbeat, { ...{ groupId: G.name, memberId: hb.memberId!, memberEpoch: -1, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null } });
        return hb.heartbeatIntervalMs;
      } finally {
        await c.close();
      }
    };
    assert.equal(await heartbeat(), 2500);

    await admin.close();
    await tb.restart();
    await tb.broker.groups.loaded;
    admin = await Admin.connect({ bootstrap: tb.broker.bootstrap });
    assert.deepEqual((await describeGroup())['consumer.heartbeat.interval.ms'], ['2500', 'DYNAMIC_GROUP_CONFIG'], 'persisted');
    assert.equal(await heartbeat(), 2500, 'and applied after the restart');

    await admin.incrementalAlterConfigs(G, [{ name: 'consumer.heartbeat.interval.ms', op: 'delete' }]);
    assert.deepEqual((await describeGroup())['consumer.heartbeat.interval.ms'], ['1000', 'STATIC_BROKER_CONFIG']);
    assert.equal(await heartbeat(), 1000);
  });

  test('kafka-configs --entity-type groups: describe, alter, delete, errors', async () => {
    const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const code = await configsCommand(['--bootstrap-server', tb.broker.bootstrap, ...argv], { out: (s) => (out += s), err: (s) => (err += s) });
      return { code, out, err };
    };
    assert.deepEqual(await run('--entity-type', 'groups', '--entity-name', 'cli-group', '--alter', '--add-config', 'consumer.session.timeout.ms=20000'), {
      code: 0,
      out: 'Completed updating config for group cli-group.\n',
      err: '',
    });
    assert.deepEqual(await run('--group', 'cli-group', '--describe'), {
      code: 0,
      out:
        'Dynamic configs for group cli-group are:\n' +
        '  consumer.session.timeout.ms=20000 sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:consumer.session.timeout.ms=20000, STATIC_BROKER_CONFIG:group.consumer.session.timeout.ms=10000, DEFAULT_CONFIG:group.consumer.session.timeout.ms=45000}\n',
      err: '',
    });
    const all = await run('--entity-type', 'groups', '--entity-name', 'cli-group', '--describe', '--all');
    assert.equal(all.out.split('\n')[0], 'All configs for group cli-group are:');
    assert.equal(all.out.split('\n').length, 2 + 17);
    assert.match(all.out, /\n {2}share\.auto\.offset\.reset=latest sensitive=false synonyms=\{DEFAULT_CONFIG:share\.auto\.offset\.reset=latest\}\n/);
    const bad = await run('--group', 'cli-group', '--alter', '--add-config', 'consumer.session.timeout.ms=2000');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /\nINVALID_CONFIG: consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms\n$/);
    assert.deepEqual(await run('--group', 'cli-group', '--alter', '--delete-config', 'consumer.session.timeout.ms'), { code: 0, out: 'Completed updating config for group cli-group.\n', err: '' });
    assert.deepEqual(await run('--group', 'cli-group', '--describe'), { code: 0, out: "The group 'cli-group' doesn't exist and doesn't have dynamic config.\n", err: '' });
    const noDefault = await run('--entity-type', 'groups', '--entity-default', '--describe');
    assert.equal(noDefault.code, 1);
    assert.match(noDefault.err, /^--entity-default must not be specified with --describe of groups\n/);
    assert.match((await run('--entity-type', 'groups', '--alter', '--add-config', 'consumer.session.timeout.ms=20000')).err, /^An entity name must be specified with --alter of groups\n/);
  });
});
