// Inter-broker traffic over a secure listener: three brokers whose INTERNAL listener is SASL_SSL
// with SCRAM-SHA-512 (inter.broker.listener.name, sasl.mechanism.inter.broker.protocol, the
// listener's ScramLoginModule username/password as the broker's own login, TLS with the broker's
// key and trust stores), the authorizer on and User:broker a super user. Replica fetches,
// AlterPartition and ControlledShutdown all go over it: an RF=3 topic fills its ISR, acks=-1
// writes are acknowledged and read back, and the loss of the leader fails over. A broker with a
// wrong inter-broker password cannot replicate: its fetches fail authentication, the leader
// shrinks it out of the ISR and the others carry on.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Admin, Consumer, Producer, type ConsumerRecord } from '../../src/client/index.js';
import type { Broker, BrokerOptions } from '../../src/broker/broker.js';
import type { SaslOptions } from '../../src/client/sasl.js';
import { makePki, hasOpenssl, type TestPki } from '../unit/helpers/certs.js';
import { startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { configsCommand } from '../../src/cli/configs.js';
import { startCluster, eventually, type TestCluster } from './helpers/brokers.js';

const ADMIN: SaslOptions = { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' };

function secureConfig(pki: TestPki, brokerPassword: string): BrokerOptions {
  return {
    listeners: 'CLIENT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
    'listener.security.protocol.map': 'CLIENT:SASL_SSL,INTERNAL:SASL_SSL',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': pki.serverPem(`broker-${Math.floor(Math.random() * 1e9)}`),
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': join(pki.dir, 'ca.crt'),
    'inter.broker.listener.name': 'INTERNAL',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'listener.name.internal.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'listener.name.internal.scram-sha-512.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="${brokerPassword}";`,
    'listener.name.client.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
    'listener.name.client.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin;User:broker',
    'replica.lag.time.max.ms': 2000,
  };
}

function clientBootstrap(b: Broker): string {
  const l = b.advertised.find((x) => x.name === 'CLIENT')!;
  return `${l.host}:${l.port}`;
}

async function readAll(bootstrap: string, ca: string, topic: string, expected: number): Promise<ConsumerRecord[]> {
  const c = await Consumer.connect({ bootstrap, ssl: { ca }, sasl: ADMIN, autoOffsetReset: 'earliest', maxWaitMs: 200 });
  try {
    await c.assign([{ topic, partition: 0, start: 'earliest' }]);
    const out: ConsumerRecord[] = [];
    await eventually(async () => {
      out.push(...(await c.poll()));
      return out.length >= expected;
    }, `${expected} records of ${topic}`);
    return out;
  } finally {
    await c.close();
  }
}

/** The SCRAM credential the brokers log in with, created through broker `id` (as kafka-configs would, before replication starts). */
async function createBrokerUser(cluster: TestCluster, id: number, ca: string): Promise<void> {
  const admin = await Admin.connect({ bootstrap: clientBootstrap(cluster.brokers.get(id)!), ssl: { ca }, sasl: ADMIN });
  try {
    await admin.alterUserScramCredentials([{ user: 'broker', mechanism: 'SCRAM-SHA-512', iterations: 4096, password: 'broker-secret' }]);
  } finally {
    await admin.close();
  }
}

describe('inter-broker traffic over SASL_SSL with SCRAM-SHA-512 and the authorizer on', { skip: !hasOpenssl() && 'openssl is not installed' }, () => {
  let etcd: EtcdProcess;
  let pki: TestPki;
  before(async () => {
    etcd = await startEtcd();
    pki = makePki();
  });
  after(async () => {
    await etcd?.stop();
  });

  test('an RF=3 topic fills its ISR, takes acks=-1 writes and fails over when its leader goes', async () => {
    const cluster = await startCluster(etcd.address, [1, 2, 3], () => secureConfig(pki, 'broker-secret'));
    let admin: Admin | null = null;
    try {
      // The brokers' user, written into etcd by the tool (as Kafka 2.x's kafka-configs --zookeeper): no broker is asked.
      let out = '';
      const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
      const add = ['--zookeeper', cluster.connect, '--alter', '--entity-type', 'users', '--entity-name', 'broker', '--add-config', 'SCRAM-SHA-512=[iterations=8192,password=broker-secret]'];
      assert.equal(await configsCommand(add, io), 0);
      assert.equal(await configsCommand(['--zookeeper', cluster.connect, '--describe', '--entity-type', 'users'], io), 0);
      assert.equal(out, "Completed updating config for user broker.\nSCRAM credential configs for user-principal 'broker' are SCRAM-SHA-512=iterations=8192\n");
      assert.equal(await configsCommand(['--zookeeper', cluster.connect, '--describe', '--entity-type', 'topics'], io), 1);
      admin = await Admin.connect({ bootstrap: clientBootstrap(cluster.brokers.get(2)!), ssl: { ca: pki.caCert }, sasl: ADMIN });
      await admin.createTopics([{ name: 'secure', partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
      const p = await eventually(async () => {
        const d = (await admin!.describeTopics(['secure']))[0]!.partitions[0]!;
        return d.leader >= 0 && d.isr.length === 3 ? d : undefined;
      }, 'a leader and a full ISR');

      const producer = await Producer.connect({ bootstrap: clientBootstrap(cluster.brokers.get(1)!), ssl: { ca: pki.caCert }, sasl: ADMIN, acks: -1 });
      const acked = await producer.send('secure', Array.from({ length: 40 }, (_, i) => ({ partition: 0, value: Buffer.from(`a${i}`) })));
      assert.equal(acked.at(-1)!.offset, 39n);
      // acks=-1 answered: every follower copied it over INTERNAL.
      for (const [id, b] of cluster.brokers) await eventually(() => b.topics.partitionLog('secure', 0)?.logEndOffset === 40, `broker ${id} holding 40 records`);
      assert.equal((await admin.describeTopics(['secure']))[0]!.partitions[0]!.isr.length, 3);

      // The leader goes (a controlled shutdown, asked of the controller over INTERNAL): another takes over.
      const survivor = [1, 2, 3].find((id) => id !== p.leader)!;
      await admin.close();
      admin = await Admin.connect({ bootstrap: clientBootstrap(cluster.brokers.get(survivor)!), ssl: { ca: pki.caCert }, sasl: ADMIN });
      await cluster.stop(p.leader);
      const after = await eventually(async () => {
        const d = (await admin!.describeTopics(['secure']))[0]!.partitions[0]!;
        return d.leader >= 0 && d.leader !== p.leader ? d : undefined;
      }, 'a new leader');
      assert.deepEqual([...after.isr].sort(), [1, 2, 3].filter((id) => id !== p.leader));
      const more = await producer.send('secure', Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: Buffer.from(`b${i}`) })));
      assert.equal(more[0]!.offset, 40n, 'nothing acknowledged was lost');
      await producer.close();
      const records = await readAll(clientBootstrap(cluster.brokers.get(survivor)!), pki.caCert, 'secure', 50);
      assert.deepEqual(records.map((r) => r.value!.toString()), [...Array.from({ length: 40 }, (_, i) => `a${i}`), ...Array.from({ length: 10 }, (_, i) => `b${i}`)]);
    } finally {
      await admin?.close();
      await cluster.close();
    }
  });

  test('a broker with a wrong inter-broker password cannot replicate: the leader shrinks it out of the ISR', async () => {
    const cluster = await startCluster(etcd.address, [1, 2, 3], (id) => secureConfig(pki, id === 3 ? 'not-the-password' : 'broker-secret'));
    let admin: Admin | null = null;
    try {
      await createBrokerUser(cluster, 1, pki.caCert);
      admin = await Admin.connect({ bootstrap: clientBootstrap(cluster.brokers.get(1)!), ssl: { ca: pki.caCert }, sasl: ADMIN });
      // Broker 1 leads (the first replica), 2 and 3 follow.
      await admin.createTopics([{ name: 'guarded', assignments: [[1, 2, 3]], configs: { 'min.insync.replicas': '2' } }]);
      await eventually(async () => (await admin!.describeTopics(['guarded']))[0]!.partitions[0]!.leader === 1, 'broker 1 leading');
      const shrunk = await eventually(async () => {
        const d = (await admin!.describeTopics(['guarded']))[0]!.partitions[0]!;
        return d.isr.length === 2 ? d : undefined;
      }, 'the ISR shrinking to two');
      assert.deepEqual([...shrunk.isr].sort(), [1, 2]);

      const producer = await Producer.connect({ bootstrap: clientBootstrap(cluster.brokers.get(1)!), ssl: { ca: pki.caCert }, sasl: ADMIN, acks: -1 });
      try {
        await producer.send('guarded', Array.from({ length: 20 }, (_, i) => ({ partition: 0, value: Buffer.from(`g${i}`) })));
      } finally {
        await producer.close();
      }
      await eventually(() => cluster.brokers.get(2)!.topics.partitionLog('guarded', 0)?.logEndOffset === 20, 'broker 2 copying the records');
      // Broker 3 keeps failing to log in to the leader: it holds nothing and stays out of the ISR.
      const b3 = cluster.brokers.get(3)!;
      await eventually(async () => (await admin!.describeTopics(['guarded']))[0]!.partitions[0]!.isr.length === 2 && b3.topics.partitionLog('guarded', 0)?.logEndOffset === 0, 'broker 3 still empty and outside the ISR');
      // A client with the same wrong password is refused by every broker as well.
      await assert.rejects(
        Admin.connect({ bootstrap: clientBootstrap(cluster.brokers.get(2)!), ssl: { ca: pki.caCert }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'broker', password: 'not-the-password' } }).then((a) => a.close()),
        /uthentication/,
      );
    } finally {
      await admin?.close();
      await cluster.close();
    }
  });

  test('mTLS between brokers: the certificate maps to User:broker, the replica fetches are authorized', async () => {
    const cluster = await startCluster(etcd.address, [1, 2], (id) => ({
      listeners: 'CLIENT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
      'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT,INTERNAL:SSL',
      'inter.broker.listener.name': 'INTERNAL',
      'listener.name.internal.ssl.keystore.type': 'PEM',
      'listener.name.internal.ssl.keystore.location': pki.serverPem(`broker-${id}${Math.floor(Math.random() * 1e6)}`),
      'listener.name.internal.ssl.truststore.type': 'PEM',
      'listener.name.internal.ssl.truststore.location': join(pki.dir, 'ca.crt'),
      'listener.name.internal.ssl.client.auth': 'required',
      'listener.name.internal.ssl.principal.mapping.rules': 'RULE:^O=Tributary,CN=(broker)-[0-9]+$/$1/,DEFAULT',
      'listener.name.client.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.client.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin;User:broker',
    }));
    let admin: Admin | null = null;
    try {
      admin = await Admin.connect({ bootstrap: clientBootstrap(cluster.brokers.get(1)!), sasl: ADMIN });
      await admin.createTopics([{ name: 'mtls', assignments: [[1, 2]] }]);
      await eventually(async () => (await admin!.describeTopics(['mtls']))[0]!.partitions[0]!.isr.length === 2, 'a full ISR');
      const producer = await Producer.connect({ bootstrap: clientBootstrap(cluster.brokers.get(1)!), sasl: ADMIN, acks: -1 });
      try {
        await producer.send('mtls', Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: Buffer.from(`m${i}`) })));
      } finally {
        await producer.close();
      }
      await eventually(() => cluster.brokers.get(2)!.topics.partitionLog('mtls', 0)?.logEndOffset === 10, 'broker 2 holding the 10 records');
    } finally {
      await admin?.close();
      await cluster.close();
    }
  });

  test('transactions across the brokers: markers (WriteTxnMarkers) and the produce verification go over the secure listener', async () => {
    const cluster = await startCluster(etcd.address, [1, 2, 3], () => ({
      ...secureConfig(pki, 'broker-secret'),
      'transaction.state.log.replication.factor': 3,
      'transaction.state.log.num.partitions': 1,
      'transaction.state.log.min.isr': 2,
    }));
    let admin: Admin | null = null;
    try {
      await createBrokerUser(cluster, 1, pki.caCert);
      const ssl = { ca: pki.caCert };
      admin = await Admin.connect({ bootstrap: clientBootstrap(cluster.brokers.get(1)!), ssl, sasl: ADMIN });
      // One partition led by each broker: at least two leaders are not the transaction coordinator.
      await admin.createTopics([{ name: 'txn', assignments: [[1, 2, 3], [2, 3, 1], [3, 1, 2]] }]);
      await eventually(async () => (await admin!.describeTopics(['txn']))[0]!.partitions.every((p) => p.leader === p.replicas[0] && p.isr.length === 3), 'every partition at its preferred leader with a full ISR');
      const producer = await Producer.connect({ bootstrap: clientBootstrap(cluster.brokers.get(2)!), ssl, sasl: ADMIN, transactionalId: 'secure-txn' });
      try {
        await producer.initTransactions();
        producer.beginTransaction();
        await producer.send('txn', [0, 1, 2].map((p) => ({ partition: p, value: Buffer.from(`aborted-${p}`) })));
        await producer.abortTransaction();
        producer.beginTransaction();
        await producer.send('txn', [0, 1, 2].map((p) => ({ partition: p, value: Buffer.from(`committed-${p}`) })));
        await producer.commitTransaction();
      } finally {
        await producer.close();
      }
      const c = await Consumer.connect({ bootstrap: clientBootstrap(cluster.brokers.get(3)!), ssl, sasl: ADMIN, isolationLevel: 'read_committed', autoOffsetReset: 'earliest', maxWaitMs: 200 });
      try {
        await c.assign([0, 1, 2].map((p) => ({ topic: 'txn', partition: p, start: 'earliest' as const })));
        const out: ConsumerRecord[] = [];
        // Each partition's committed record is readable only once its leader took the COMMIT marker.
        await eventually(async () => {
          out.push(...(await c.poll()));
          return out.length >= 3;
        }, 'the committed records of every partition');
        assert.deepEqual(out.map((r) => r.value!.toString()).sort(), ['committed-0', 'committed-1', 'committed-2']);
      } finally {
        await c.close();
      }
    } finally {
      await admin?.close();
      await cluster.close();
    }
  });
});
