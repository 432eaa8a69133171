// ACLs and SCRAM users of a cluster live in etcd: a binding or credential written through one
// broker takes effect on another without a restart (its etcd watch applies it), on a broker that
// starts later (it reads them at start-up), and after every broker restarted. The brokers talk to
// each other over their own SASL listener as User:broker (inter.broker.listener.name), and Metadata
// answers each client with the listener it came in on.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Connection, Producer } from '../../src/client/index.js';
import type { Broker } from '../../src/broker/broker.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';
import { fetchRequest } from '../unit/helpers/broker-client.js';
import type { SaslOptions } from '../../src/client/sasl.js';
import { startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { startCluster, eventually, type TestCluster } from './helpers/brokers.js';

const PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule required';
const ADMIN: SaslOptions = { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' };
const ALICE: SaslOptions = { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' };

/** CLIENT for clients (PLAIN admin, SCRAM users), INTERNAL between brokers (PLAIN as User:broker). */
const SECURE = {
  listeners: 'CLIENT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
  'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT,INTERNAL:SASL_PLAINTEXT',
  'inter.broker.listener.name': 'INTERNAL',
  'sasl.mechanism.inter.broker.protocol': 'PLAIN',
  'listener.name.client.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
  'listener.name.client.plain.sasl.jaas.config': `${PLAIN} user_admin="admin-secret";`,
  'listener.name.internal.sasl.enabled.mechanisms': 'PLAIN',
  'listener.name.internal.plain.sasl.jaas.config': `${PLAIN} username="broker" password="broker-secret" user_broker="broker-secret";`,
  'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'super.users': 'User:admin;User:broker',
};

function clientAddress(b: Broker): { host: string; port: number } {
  const l = b.advertised.find((x) => x.name === 'CLIENT')!;
  return { host: l.host, port: l.port };
}

function connectAs(b: Broker, sasl: SaslOptions): Promise<Connection> {
  return Connection.connect({ ...clientAddress(b), sasl, connectTimeoutMs: 5000 });
}

/** The error Metadata gives `sasl`'s principal for `topic` on broker `b` (a fresh login each time). */
async function topicErrorAs(b: Broker, sasl: SaslOptions, topic: string): Promise<number> {
  const c = await connectAs(b, sasl);
  try {
    const res = await c.send(ApiKey.Metadata, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    return res!.topics[0]!.errorCode;
  } finally {
    c.close();
  }
}

describe('ACLs and SCRAM users in etcd', () => {
  let etcd: EtcdProcess;
  let cluster: TestCluster;
  const admins: Admin[] = [];
  const adminOf = async (id: number): Promise<Admin> => {
    const a = await Admin.connect({ bootstrap: `127.0.0.1:${clientAddress(cluster.brokers.get(id)!).port}`, sasl: ADMIN });
    admins.push(a);
    return a;
  };
  before(async () => {
    etcd = await startEtcd();
    cluster = await startCluster(etcd.address, [1, 2], SECURE);
  });
  after(async () => {
    for (const a of admins) await a.close().catch(() => undefined);
    await cluster?.close();
    await etcd?.stop();
  });

  test('a SCRAM user created through broker 1 logs in on broker 2', async () => {
    const a1 = await adminOf(1);
    await assert.rejects(connectAs(cluster.brokers.get(2)!, ALICE), /authentication|Authentication/);
    await a1.alterUserScramCredentials([{ user: 'alice', mechanism: 'SCRAM-SHA-256', iterations: 4096, password: 'alice-secret' }]);
    // Broker 1 answered after applying it: alice logs in there at once.
    (await connectAs(cluster.brokers.get(1)!, ALICE)).close();
    const c = await eventually(() => connectAs(cluster.brokers.get(2)!, ALICE), 'alice logging in on broker 2', 10_000);
    c.close();
    const a2 = await adminOf(2);
    assert.deepEqual((await a2.describeUserScramCredentials(['alice'])).map((u) => u.credentials), [[{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }]]);
  });

  test('an ACL created through broker 1 allows on broker 2; a DENY through broker 2 denies on broker 1; deleting restores', async () => {
    const a1 = await adminOf(1);
    await a1.createTopics([{ name: 'orders', partitions: 1, replicationFactor: 2 }]);
    // The follower fetches over INTERNAL as User:broker (a super user): the ISR fills.
    await eventually(async () => (await a1.describeTopics(['orders']))[0]!.partitions[0]!.isr.length === 2, 'a full ISR of orders', 10_000);
    const b1 = cluster.brokers.get(1)!;
    const b2 = cluster.brokers.get(2)!;
    assert.equal(await topicErrorAs(b2, ALICE, 'orders'), ErrorCode.TOPIC_AUTHORIZATION_FAILED);

    await a1.createAcls([{ resourceType: 'TOPIC', name: 'orders', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'DESCRIBE', permissionType: 'ALLOW' }]);
    await eventually(async () => (await topicErrorAs(b2, ALICE, 'orders')) === ErrorCode.NONE, 'the ALLOW taking effect on broker 2', 10_000);

    const a2 = await adminOf(2);
    await a2.createAcls([{ resourceType: 'TOPIC', name: 'ord', patternType: 'PREFIXED', principal: 'User:alice', host: '*', operation: 'ALL', permissionType: 'DENY' }]);
    await eventually(async () => (await topicErrorAs(b1, ALICE, 'orders')) === ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'the DENY taking effect on broker 1', 10_000);

    const deleted = await a1.deleteAcls([{ resourceType: 'TOPIC', name: 'ord', patternType: 'PREFIXED', principal: null, host: null, operation: 'ANY', permissionType: 'DENY' }]);
    assert.equal(deleted[0]!.length, 1);
    await eventually(async () => (await topicErrorAs(b2, ALICE, 'orders')) === ErrorCode.NONE && (await topicErrorAs(b1, ALICE, 'orders')) === ErrorCode.NONE, 'the DENY gone on both brokers', 10_000);
    const listed = await a2.describeAcls({ resourceType: 'ANY', name: null, patternType: 'ANY', principal: null, host: null, operation: 'ANY', permissionType: 'ANY' });
    assert.deepEqual(listed, [{ resourceType: 'TOPIC', name: 'orders', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'DESCRIBE', permissionType: 'ALLOW' }]);
  });

  test('a client quota set through broker 1 is described by broker 2; removed through broker 2, it is gone on broker 1', async () => {
    const a1 = await adminOf(1);
    const a2 = await adminOf(2);
    const filter = { components: [{ entityType: 'user', match: 'exact' as const, name: 'alice' }] };
    await a1.alterClientQuotas([{ entity: { user: 'alice' }, ops: [{ key: 'producer_byte_rate', value: 1048576 }] }]);
    await eventually(async () => JSON.stringify(await a2.describeClientQuotas(filter)) === JSON.stringify([{ entity: { user: 'alice' }, values: { producer_byte_rate: 1048576 } }]), 'the quota on broker 2', 10_000);
    await a2.alterClientQuotas([{ entity: { user: 'alice' }, ops: [{ key: 'producer_byte_rate', value: null }] }]);
    await eventually(async () => (await a1.describeClientQuotas(filter)).length === 0, 'the quota gone on broker 1', 10_000);
  });

  test('Metadata answers with the listener the client came in on; the registration names every listener', async () => {
    const b = cluster.brokers.get(1)!;
    const c = await connectAs(b, ADMIN);
    try {
      const res = await c.send(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      assert.deepEqual(res!.brokers.map((x) => [x.nodeId, x.port]), [1, 2].map((id) => [id, clientAddress(cluster.brokers.get(id)!).port]));
    } finally {
      c.close();
    }
    const reg = b.cluster!.store.view.brokers.get(b.config.nodeId)!;
    assert.deepEqual(reg.endpoints!.map((e) => e.name), ['CLIENT', 'INTERNAL']);
    assert.deepEqual(reg.endpoints!.map((e) => e.port), ['CLIENT', 'INTERNAL'].map((n) => b.advertised.find((l) => l.name === n)!.port));
    assert.equal(reg.port, b.advertised[0]!.port, 'host/port: the first advertised listener');
  });
  test('a broker started later has them at once, and every broker restarted still has them', async () => {
    const b3 = await cluster.start(3);
    // No waiting: the broker read etcd before it started listening.
    (await connectAs(b3, ALICE)).close();
    assert.equal(await topicErrorAs(b3, ALICE, 'orders'), ErrorCode.NONE);

    for (const a of admins.splice(0)) await a.close();
    for (const id of [1, 2, 3]) await cluster.stop(id);
    const b2 = await cluster.start(2);
    assert.equal(await topicErrorAs(b2, ALICE, 'orders'), ErrorCode.NONE);
    await assert.rejects(connectAs(b2, { ...ALICE, password: 'wrong' }), /uthentication/);
  });

});

describe('the broker principal needs CLUSTER_ACTION, which an ACL in etcd can grant', () => {
  let etcd: EtcdProcess;
  let cluster: TestCluster;
  let admin: Admin | null = null;
  before(async () => {
    etcd = await startEtcd();
    // User:broker is not a super user here.
    cluster = await startCluster(etcd.address, [1, 2], { ...SECURE, 'super.users': 'User:admin', 'replica.lag.time.max.ms': 2000 });
  });
  after(async () => {
    await admin?.close();
    await cluster?.close();
    await etcd?.stop();
  });

  test('without it the follower is refused (CVE-2018-1288); granted through broker 2, it catches up and joins the ISR', async () => {
    const leader = cluster.brokers.get(1)!;
    const follower = cluster.brokers.get(2)!;
    admin = await Admin.connect({ bootstrap: `127.0.0.1:${clientAddress(leader).port}`, sasl: ADMIN });
    await admin.createTopics([{ name: 'guarded', assignments: [[1, 2]] }]);
    await eventually(async () => (await admin!.describeTopics(['guarded']))[0]!.partitions[0]!.leader === 1, 'broker 1 leading');
    const producer = await Producer.connect({ bootstrap: `127.0.0.1:${clientAddress(leader).port}`, sasl: ADMIN, acks: 1 });
    try {
      await producer.send('guarded', Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: Buffer.from(`v${i}`) })));
    } finally {
      await producer.close();
    }
    // What broker 2's fetcher gets: a fetch as replica 2, logged in as User:broker on INTERNAL.
    const internal = leader.advertised.find((l) => l.name === 'INTERNAL')!;
    const asBroker = await Connection.connect({ host: internal.host, port: internal.port, sasl: { mechanism: 'PLAIN', username: 'broker', password: 'broker-secret' } });
    const replicaFetch = async (): Promise<number> => {
      const r = await asBroker.send(ApiKey.Fetch, { ...fetchRequest({ topic: 'guarded', offset: 0 }), replicaId: 2 }, { version: 12 });
      return r.responses[0]!.partitions[0]!.errorCode;
    };
    try {
      assert.equal(await replicaFetch(), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      assert.equal(follower.topics.partitionLog('guarded', 0)!.logEndOffset, 0);

      const a2 = await Admin.connect({ bootstrap: `127.0.0.1:${clientAddress(follower).port}`, sasl: ADMIN });
      try {
        await a2.createAcls([{ resourceType: 'CLUSTER', name: 'kafka-cluster', patternType: 'LITERAL', principal: 'User:broker', host: '*', operation: 'CLUSTER_ACTION', permissionType: 'ALLOW' }]);
      } finally {
        await a2.close();
      }
      await eventually(async () => (await replicaFetch()) === ErrorCode.NONE, 'broker 1 serving replica fetches of User:broker', 10_000);
      await eventually(() => follower.topics.partitionLog('guarded', 0)!.logEndOffset === 5, 'the follower copying the 5 records', 15_000);
      await eventually(async () => [...(await admin!.describeTopics(['guarded']))[0]!.partitions[0]!.isr].sort().join() === '1,2', 'a full ISR', 15_000);
    } finally {
      asBroker.close();
    }
  });
});
