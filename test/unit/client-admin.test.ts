// The admin client (src/client/admin.ts) against the embedded broker: topics, partitions,
// configs and the cluster, and per-topic failures reported as AdminError. The interop suite runs
// the same client against Apache Kafka (test/interop/js/client.mjs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, AdminError, Producer } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { connect, startBroker, type TestBroker } from './helpers/broker-client.js';

describe('Admin', () => {
  let tb: TestBroker;
  let admin: Admin;
  before(async () => {
    tb = await startBroker({ 'num.partitions': 3 });
    admin = await Admin.connect({ bootstrap: `127.0.0.1:${tb.broker.port}` });
  });
  after(async () => {
    await admin.close();
    await tb.close();
  });

  test('create, list, describe, add partitions, delete', async () => {
    await admin.createTopics([{ name: 'adm-a', partitions: 2, configs: { 'retention.ms': '3600000' } }, { name: 'adm-b' }]);
    assert.deepEqual((await admin.listTopics()).filter((t) => t.startsWith('adm-')), ['adm-a', 'adm-b']);
    const [a, b] = await admin.describeTopics(['adm-a', 'adm-b']);
    assert.equal(a!.name, 'adm-a');
    assert.match(a!.topicId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(a!.partitions.map((p) => [p.partition, p.leader, p.replicas, p.isr]), [
      [0, 1, [1], [1]],
      [1, 1, [1], [1]],
    ]);
    assert.equal(b!.partitions.length, 3, 'num.partitions applies when none is given');

    await admin.createPartitions([{ topic: 'adm-a', count: 5 }]);
    assert.equal((await admin.describeTopics(['adm-a']))[0]!.partitions.length, 5);

    await admin.deleteTopics(['adm-a', 'adm-b']);
    assert.deepEqual((await admin.listTopics()).filter((t) => t.startsWith('adm-')), []);
  });

  test('validateOnly creates nothing', async () => {
    await admin.createTopics([{ name: 'adm-dry', partitions: 1 }], { validateOnly: true });
    assert.ok(!(await admin.listTopics()).includes('adm-dry'));
  });

  test('per-topic failures reject with AdminError naming each, after applying the rest', async () => {
    await admin.createTopics([{ name: 'adm-dup' }]);
    const err = await admin.createTopics([{ name: 'adm-dup' }, { name: 'bad name!' }, { name: 'adm-ok' }]).then(
      () => assert.fail('expected AdminError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof AdminError);
    assert.deepEqual(
      err.failures.map((f) => [f.resource, f.error.errorName]),
      [
        ['adm-dup', 'TOPIC_ALREADY_EXISTS'],
        ['bad name!', 'INVALID_TOPIC_EXCEPTION'],
      ],
    );
    assert.ok((await admin.listTopics()).includes('adm-ok'), 'the valid topic was still created');
    await assert.rejects(admin.describeTopics(['adm-missing']), (e: unknown) => e instanceof AdminError && e.failures[0]!.error.errorName === 'UNKNOWN_TOPIC_OR_PARTITION');
    await assert.rejects(admin.deleteTopics(['adm-missing']), AdminError);
    await assert.rejects(admin.createPartitions([{ topic: 'adm-ok', count: 1 }]), (e: unknown) => e instanceof AdminError && e.failures[0]!.error.errorName === 'INVALID_PARTITIONS');
  });

  test('describe and alter topic and broker configs', async () => {
    await admin.createTopics([{ name: 'adm-cfg', partitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
    const topic = { type: 'topic' as const, name: 'adm-cfg' };
    const [d] = await admin.describeConfigs([topic], { keys: ['cleanup.policy', 'retention.ms'] });
    const byName = new Map(d!.entries.map((e) => [e.name, e]));
    assert.deepEqual(byName.get('cleanup.policy'), { name: 'cleanup.policy', value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false, readOnly: false, sensitive: false, synonyms: [] });
    assert.equal(byName.get('retention.ms')!.value, '604800000');
    assert.equal(byName.get('retention.ms')!.source, 'DEFAULT_CONFIG');
    assert.equal(byName.get('retention.ms')!.isDefault, true);

    await admin.incrementalAlterConfigs(topic, [{ name: 'retention.ms', value: '1000' }, { name: 'cleanup.policy', op: 'delete' }]);
    const [after] = await admin.describeConfigs([topic], { keys: ['cleanup.policy', 'retention.ms'] });
    const now = new Map(after!.entries.map((e) => [e.name, e.value]));
    assert.equal(now.get('retention.ms'), '1000');
    assert.equal(now.get('cleanup.policy'), 'delete');

    const [broker] = await admin.describeConfigs([{ type: 'broker', name: '1' }], { keys: ['num.partitions'] });
    assert.equal(broker!.entries[0]!.value, '3');
    await assert.rejects(admin.incrementalAlterConfigs(topic, [{ name: 'retention.ms', value: 'soon' }]), AdminError);
  });

  test('describeCluster', async () => {
    const c = await admin.describeCluster();
    assert.equal(c.controllerId, 1);
    assert.deepEqual(c.brokers.map((b) => [b.nodeId, b.host, b.port]), [[1, '127.0.0.1', tb.broker.port]]);
    assert.ok(c.clusterId.length > 0);
  });
});

describe('dynamic broker configs: this broker and the cluster-wide default, as Kafka layers them', () => {
  test('resource "" sets the default, resource "1" overrides it; both persist', async () => {
    const tb = await startBroker();
    let admin = await Admin.connect({ bootstrap: `127.0.0.1:${tb.broker.port}` });
    try {
      const cluster = { type: 'broker' as const, name: '' };
      const broker = { type: 'broker' as const, name: '1' };
      await admin.createTopics([{ name: 'layers', partitions: 1 }]);
      const value = async (r: { type: 'broker' | 'topic'; name: string }, key: string): Promise<[string | null, string] | undefined> => {
        const [d] = await admin.describeConfigs([r], { keys: [key] });
        const e = d!.entries.find((x) => x.name === key);
        return e ? [e.value, e.source] : undefined;
      };
      assert.deepEqual((await admin.describeConfigs([cluster]))[0]!.entries, [], 'no cluster default set yet');

      await admin.incrementalAlterConfigs(cluster, [{ name: 'log.retention.ms', value: '100000' }]);
      assert.deepEqual((await admin.describeConfigs([cluster]))[0]!.entries.map((e) => [e.name, e.value, e.source]), [['log.retention.ms', '100000', 'DYNAMIC_DEFAULT_BROKER_CONFIG']]);
      assert.deepEqual(await value(broker, 'log.retention.ms'), ['100000', 'DYNAMIC_DEFAULT_BROKER_CONFIG']);
      assert.deepEqual(await value({ type: 'topic', name: 'layers' }, 'retention.ms'), ['100000', 'DYNAMIC_DEFAULT_BROKER_CONFIG']);

      await admin.incrementalAlterConfigs(broker, [{ name: 'log.retention.ms', value: '200000' }]);
      assert.deepEqual(await value(broker, 'log.retention.ms'), ['200000', 'DYNAMIC_BROKER_CONFIG']);
      assert.deepEqual(await value({ type: 'topic', name: 'layers' }, 'retention.ms'), ['200000', 'DYNAMIC_BROKER_CONFIG']);
      assert.equal(tb.broker.topics.partitionLog('layers', 0)!.config.retentionMs, 200000, 'the log follows');

      await admin.close();
      await tb.restart();
      admin = await Admin.connect({ bootstrap: `127.0.0.1:${tb.broker.port}` });
      assert.deepEqual(await value(broker, 'log.retention.ms'), ['200000', 'DYNAMIC_BROKER_CONFIG'], 'persisted');
      await admin.incrementalAlterConfigs(broker, [{ name: 'log.retention.ms', op: 'delete' }]);
      assert.deepEqual(await value(broker, 'log.retention.ms'), ['100000', 'DYNAMIC_DEFAULT_BROKER_CONFIG'], 'the default shows through again');
      assert.equal(tb.broker.topics.partitionLog('layers', 0)!.config.retentionMs, 100000);
    } finally {
      await admin.close();
      await tb.close();
    }
  });
});

describe('Admin: consumer groups and offsets', () => {
  test('list, describe (members and assignments), committed offsets, reset, delete, listOffsets', async () => {
    const tb = await startBroker({ 'group.initial.rebalance.delay.ms': 0 });
    const bootstrap = `127.0.0.1:${tb.broker.port}`;
    const admin = await Admin.connect({ bootstrap });
    const c = await connect(tb);
    try {
      await admin.createTopics([{ name: 'gtopic', partitions: 2 }]);
      const p = await Producer.connect({ bootstrap });
      await p.send('gtopic', Array.from({ length: 5 }, (_v, i) => ({ value: `v${i}`, partition: 0, timestamp: 1_700_000_000_000 + i })));
      await p.close();

      // An offsets-only group, as a consumer that assigns itself leaves behind.
      await admin.alterConsumerGroupOffsets('g-empty', [{ topic: 'gtopic', partition: 0, offset: 3n }, { topic: 'gtopic', partition: 1, offset: 0n }]);
      assert.deepEqual(
        (await admin.listConsumerGroupOffsets('g-empty')).map((o) => [o.topic, o.partition, o.offset]),
        [['gtopic', 0, 3n], ['gtopic', 1, 0n]],
      );

      // An active member with a consumer-protocol assignment.
      const sub = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 1, 0, 6]), Buffer.from('gtopic'), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
      const joinReq = (memberId: string) => ({ groupId: 'g-live', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: sub }], reason: null });
      let j = await c.send(ApiKey.JoinGroup, joinReq(''));
      if (j.errorCode === ErrorCode.MEMBER_ID_REQUIRED) j = await c.send(ApiKey.JoinGroup, joinReq(j.memberId));
      assert.equal(j.errorCode, 0);
      const assignment = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 1, 0, 6]), Buffer.from('gtopic'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
      const s = await c.send(ApiKey.SyncGroup, { groupId: 'g-live', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: j.memberId, assignment }] });
      assert.equal(s.errorCode, 0);

      const groups = await admin.listGroups();
      assert.deepEqual(groups.map((g) => [g.groupId, g.state]), [['g-empty', 'Empty'], ['g-live', 'Stable']]);
      assert.deepEqual((await admin.listGroups({ states: ['Stable'] })).map((g) => g.groupId), ['g-live']);

      const [live, empty, none] = await admin.describeGroups(['g-live', 'g-empty', 'g-none']);
      assert.deepEqual([live!.state, live!.protocolType, live!.protocol], ['Stable', 'consumer', 'range']);
      assert.equal(live!.members.length, 1);
      assert.deepEqual(live!.members[0]!.assignment, [{ topic: 'gtopic', partition: 0 }, { topic: 'gtopic', partition: 1 }]);
      assert.equal(live!.members[0]!.memberId, j.memberId);
      assert.deepEqual([empty!.state, empty!.members], ['Empty', []]);
      assert.equal(none!.state, 'Dead');

      await assert.rejects(admin.alterConsumerGroupOffsets('g-live', [{ topic: 'gtopic', partition: 0, offset: 0n }]), AdminError, 'a live group is not reset');
      await assert.rejects(admin.deleteGroups(['g-live']), (e: unknown) => e instanceof AdminError && e.failures[0]!.error.errorName === 'NON_EMPTY_GROUP');
      await admin.deleteGroups(['g-empty']);
      assert.deepEqual((await admin.listGroups()).map((g) => g.groupId), ['g-live']);

      const offs = await admin.listOffsets([
        { topic: 'gtopic', partition: 0, at: 'earliest' },
        { topic: 'gtopic', partition: 0, at: 'latest' },
        { topic: 'gtopic', partition: 0, at: { timestamp: 1_700_000_000_002 } },
        { topic: 'gtopic', partition: 1, at: 'latest' },
      ]);
      assert.deepEqual(offs.map((o) => o.offset), [0n, 5n, 2n, 0n]);
      await assert.rejects(admin.listOffsets([{ topic: 'nope', partition: 0, at: 'latest' }]), AdminError);
    } finally {
      c.destroy();
      await admin.close();
      await tb.close();
    }
  });
});
