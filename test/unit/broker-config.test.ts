import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseProperties } from '../../src/util/properties.js';
import { BrokerConfig, ConfigError } from '../../src/broker/config/config.js';
import { ConfigSource } from '../../src/broker/config/defs.js';
import { parseListeners } from '../../src/broker/config/listeners.js';

test('Java properties syntax', () => {
  const p = parseProperties(
    ['# comment', '! another', 'a=1', 'b : two', 'c three', '  d=x\\', '    y', 'e=tab\\tu\\u0041', 'f\\=g=h', 'empty='].join('\n'),
  );
  assert.deepEqual(Object.fromEntries(p), { a: '1', b: 'two', c: 'three', d: 'xy', e: 'tab\tuA', 'f=g': 'h', empty: '' });
});

test('the shipped server.properties parses without warnings', () => {
  const props = parseProperties(readFileSync(new URL('../../../config/server.properties', import.meta.url), 'utf8'));
  const c = new BrokerConfig(props);
  assert.deepEqual(c.warnings, []);
  assert.equal(c.nodeId, 1);
  assert.deepEqual(c.logDirs, ['data']);
  assert.deepEqual(parseListeners(c.list('listeners')), [{ name: 'PLAINTEXT', host: '', port: 9092 }]);
});

test('an invalid value names its key; an unknown key warns', () => {
  assert.throws(() => new BrokerConfig([['num.partitions', 'many']]), (e: unknown) => e instanceof ConfigError && e.key === 'num.partitions');
  assert.throws(() => new BrokerConfig([['num.partitions', '0']]), /num.partitions.*at least 1/);
  assert.throws(() => new BrokerConfig([['auto.create.topics.enable', 'yes']]), /auto.create.topics.enable/);
  assert.throws(() => new BrokerConfig([['log.message.timestamp.type', 'Now']]), /log.message.timestamp.type/);
  assert.throws(() => new BrokerConfig([['message.max.bytes', '2000'], ['socket.request.max.bytes', '1000']]), /message.max.bytes/);
  const c = new BrokerConfig([['no.such.key', '1']]);
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0]!, /no.such.key/);
});

test('camelCase keys map to Kafka keys; broker.id is node.id', () => {
  const c = new BrokerConfig([['numPartitions', '3'], ['logDirs', 'a,b'], ['broker.id', '7']]);
  assert.equal(c.int('num.partitions'), 3);
  assert.deepEqual(c.logDirs, ['a', 'b']);
  assert.equal(c.nodeId, 7);
});

test('topic configs resolve through the broker synonyms, as Kafka does', () => {
  const c = new BrokerConfig([['log.roll.hours', '2'], ['log.retention.minutes', '5']]);
  const none = new Map<string, string>();
  assert.equal(c.resolveTopicConfig('segment.ms', none).value, String(2 * 3_600_000));
  assert.equal(c.resolveTopicConfig('segment.ms', none).source, ConfigSource.STATIC_BROKER_CONFIG);
  assert.equal(c.resolveTopicConfig('retention.ms', none).value, String(5 * 60_000));
  assert.equal(c.resolveTopicConfig('segment.bytes', none).source, ConfigSource.DEFAULT_CONFIG);
  const own = c.resolveTopicConfig('segment.ms', new Map([['segment.ms', '10']]));
  assert.equal(own.value, '10');
  assert.equal(own.source, ConfigSource.TOPIC_CONFIG);
  assert.deepEqual(own.synonyms.map((s) => s.name), ['segment.ms', 'log.roll.hours', 'log.roll.ms']);
  const withMs = new BrokerConfig([['log.roll.hours', '2'], ['log.roll.ms', '1000']]);
  assert.equal(withMs.resolveTopicConfig('segment.ms', none).value, '1000');
});

test('dynamic broker configs: only dynamic keys, validated', () => {
  const c = new BrokerConfig([]);
  c.setDynamic('log.segment.bytes', '2097152');
  assert.equal(c.lookup('log.segment.bytes').source, ConfigSource.DYNAMIC_BROKER_CONFIG);
  assert.throws(() => c.setDynamic('num.partitions', '2'), /^ConfigError: Cannot update these configs dynamically: \[num.partitions\]$/);
  assert.throws(() => c.setDynamic('log.segment.bytes', '2048'), /^ConfigError: Invalid value 2048 for configuration log.segment.bytes: Value must be at least 1048576$/);
  c.setDynamic('my.plugin.setting', 'x');
  assert.equal(c.get('my.plugin.setting'), 'x', 'a key Kafka does not know is kept, as Kafka keeps it');
  c.setDynamic('log.segment.bytes', null);
  assert.equal(c.lookup('log.segment.bytes').source, ConfigSource.DEFAULT_CONFIG);
});
