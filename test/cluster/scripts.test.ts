// The tutorial's start sequence: bin/zookeeper-server-start.sh config/zookeeper.properties starts
// etcd on the file's clientPort and dataDir and says that it is etcd; a store connects to it with
// the ZooKeeper-style connect string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EtcdClusterStore } from '../../src/broker/cluster/etcd-store.js';
import { parseConnectString } from '../../src/util/connect-string.js';
import { freePort } from './helpers/etcd.js';

const root = resolve(import.meta.dirname, '../../..');

test('zookeeper-server-start.sh starts etcd on the properties file clientPort and dataDir', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-zk-'));
  // etcd takes clientPort + 1 as its peer port: find a pair that is free.
  let port = await freePort();
  while (port >= 65535) port = await freePort();
  const props = join(dir, 'zookeeper.properties');
  writeFileSync(props, `# test\ndataDir=${join(dir, 'zk')}\nclientPort = ${port}\nmaxClientCnxns=0\n`);
  const child = spawn(join(root, 'bin/zookeeper-server-start.sh'), [props], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      assert.equal(child.exitCode, null, `the script exited: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
      if (ok) break;
      assert.ok(Date.now() < deadline, `etcd did not answer on ${port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(stderr, new RegExp(`etcd on port ${port} with data in ${join(dir, 'zk')}`));
    assert.ok(existsSync(join(dir, 'zk', 'member')), 'etcd keeps its data in dataDir');
    const store = await EtcdClusterStore.open(parseConnectString(`localhost:${port}/tutorial`), { sessionTimeoutMs: 5000 });
    assert.equal(await store.registerBroker({ id: 0, host: 'localhost', port: 9092, rack: null }) > 0n, true);
    await store.close();
  } finally {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
