// The tutorial's ZooKeeper-era kafka-topics forms (`--zookeeper host:port[/chroot]`) against a real
// etcd: the tool reads the live brokers the cluster registered there (brokers/ids/<id>, written
// here by the broker's own store) and talks to them as with --bootstrap-server, saying so on
// stderr; `--alter --config` / `--deleteConfig` change topic configs with Kafka 2.x's warning.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { EtcdClusterStore } from '../../src/broker/cluster/etcd-store.js';
import { parseConnectString } from '../../src/util/connect-string.js';
import { brokersFromEtcd } from '../../src/cli/etcd-brokers.js';
import { topicsCommand } from '../../src/cli/topics.js';
import { Admin } from '../../src/client/admin.js';
import { startBroker, type TestBroker } from '../unit/helpers/broker-client.js';
import { startEtcd, type EtcdProcess } from './helpers/etcd.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await topicsCommand(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('kafka-topics --zookeeper through etcd', () => {
  let etcd: EtcdProcess;
  let tb: TestBroker;
  let store: EtcdClusterStore;
  let zk: string;
  before(async () => {
    etcd = await startEtcd();
    tb = await startBroker({ 'broker.id': 1 });
    zk = `${etcd.address}/tutorial`;
    store = await EtcdClusterStore.open(parseConnectString(zk), { sessionTimeoutMs: 5000 });
    await store.registerBroker({ id: 1, host: '127.0.0.1', port: tb.broker.port, rack: null });
  });
  after(async () => {
    await store.close();
    await tb.close();
    await etcd.stop();
  });

  test('the registered brokers are read under the chroot; foreign values are skipped', async () => {
    const raw = new Etcd3({ hosts: [`http://${etcd.address}`] });
    try {
      await raw.put('tutorial/brokers/ids/7').value('not json');
      await raw.put('elsewhere/brokers/ids/2').value(JSON.stringify({ host: 'h', port: 1 }));
      assert.deepEqual(await brokersFromEtcd(zk), [{ id: 1, host: '127.0.0.1', port: tb.broker.port }]);
      assert.deepEqual(await brokersFromEtcd(`${etcd.address}/nothing-here`), []);
    } finally {
      await raw.delete().key('tutorial/brokers/ids/7');
      raw.close();
    }
  });

  test("the tutorial's create, list, describe, alter config, delete config and delete", async () => {
    const note = `Warning: --zookeeper is deprecated; ${zk} was resolved through etcd to the brokers 127.0.0.1:${tb.broker.port} (use --bootstrap-server 127.0.0.1:${tb.broker.port}).\n`;
    assert.deepEqual(await run('--create', '--zookeeper', zk, '--replication-factor', '1', '--partitions', '1', '--topic', 'test'), { code: 0, out: 'Created topic test.\n', err: note });
    assert.deepEqual(await run('--list', '--zookeeper', zk), { code: 0, out: 'test\n', err: note });
    assert.match((await run('--zookeeper', zk, '--describe', '--topic', 'test')).out, /^Topic: test\tTopicId: \S+\tPartitionCount: 1\tReplicationFactor: 1\t/);

    const warning = 'WARNING: Altering topic configuration from this script has been deprecated and may be removed in future releases.\n         Going forward, please use kafka-configs.sh for this functionality\n';
    assert.deepEqual(await run('--zookeeper', zk, '--alter', '--topic', 'test', '--config', 'max.message.bytes=128000'), { code: 0, out: `${warning}Updated config for topic test.\n`, err: note });
    const admin = await Admin.connect({ bootstrap: `127.0.0.1:${tb.broker.port}` });
    try {
      const value = async () => (await admin.describeConfigs([{ type: 'topic', name: 'test' }], { keys: ['max.message.bytes'] }))[0]!.entries[0]!;
      assert.deepEqual([(await value()).value, (await value()).source], ['128000', 'DYNAMIC_TOPIC_CONFIG']);
      assert.deepEqual(await run('--zookeeper', zk, '--alter', '--topic', 'test', '--deleteConfig', 'max.message.bytes'), { code: 0, out: `${warning}Updated config for topic test.\n`, err: note });
      assert.notEqual((await value()).source, 'DYNAMIC_TOPIC_CONFIG');
    } finally {
      await admin.close();
    }

    assert.deepEqual(await run('--delete', '--zookeeper', zk, '--topic', 'test'), { code: 0, out: '', err: note });
    assert.deepEqual(await run('--list', '--zookeeper', zk), { code: 0, out: '', err: note });
  });

  test('no brokers under the chroot, or no etcd, fail the command; a malformed connect string is a usage error', async () => {
    assert.deepEqual(await run('--list', '--zookeeper', `${etcd.address}/empty`), { code: 1, out: `Error while executing topic command : No brokers are registered in etcd at ${etcd.address}/empty\n`, err: '' });
    const bad = await run('--list', '--zookeeper', 'localhost');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^Invalid --zookeeper connect string: "localhost" is not host:port\n/);
  });
});
