// The shipped multi-broker example, config/server-1.properties and server-2.properties (Kafka's
// classic three brokers on one machine): each parses without warnings, with its own id, port and
// log directory, everything else as config/server.properties, and the coordination service at
// zookeeper.connect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseProperties } from '../../src/util/properties.js';
import { BrokerConfig } from '../../src/broker/config/config.js';
import { parseListeners } from '../../src/broker/config/listeners.js';

const read = (name: string): Map<string, string> => parseProperties(readFileSync(new URL(`../../../config/${name}`, import.meta.url), 'utf8'));

for (const n of [1, 2]) {
  // Broker ids 2 and 3: config/server.properties is node 1 (Kafka's classic example numbered from 0).
  test(`config/server-${n}.properties is broker ${n + 1} on port ${9092 + n}`, () => {
    const props = read(`server-${n}.properties`);
    const c = new BrokerConfig(props);
    assert.deepEqual(c.warnings, []);
    assert.equal(c.nodeId, n + 1);
    assert.deepEqual(c.logDirs, [`./data/kafka-logs-${n}`]);
    assert.deepEqual(parseListeners(c.list('listeners')), [{ name: 'PLAINTEXT', host: '', port: 9092 + n }]);
    assert.equal(props.get('advertised.listeners'), `PLAINTEXT://localhost:${9092 + n}`);
    assert.equal(props.get('zookeeper.connect'), 'localhost:2181');
    const base = read('server.properties');
    const own = new Set(['node.id', 'broker.id', 'listeners', 'advertised.listeners', 'log.dirs', 'zookeeper.connect']);
    assert.deepEqual(
      [...props].filter(([k]) => !own.has(k)),
      [...base].filter(([k]) => !own.has(k)),
      'every other setting as in config/server.properties',
    );
  });
}
