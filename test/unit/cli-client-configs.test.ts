// The shipped config/producer.properties and config/consumer.properties (Kafka ships both beside
// server.properties): the console tools read them with --command-config (or the deprecated
// --producer.config / --consumer.config, with Kafka's warnings; the two names may not be mixed), and
// the consumer joins the file's group.id (test-consumer-group) and commits there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { consoleProducerCommand } from '../../src/cli/console-producer.js';
import { consoleConsumerCommand } from '../../src/cli/console-consumer.js';
import { parseProperties } from '../../src/util/properties.js';
import { Admin } from '../../src/client/index.js';
import { connect, createTopic, startBroker, type TestBroker } from './helpers/broker-client.js';

const config = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'config');
let tb: TestBroker;
before(async () => {
  tb = await startBroker();
  const c = await connect(tb);
  await createTopic(c, 'cfg');
  c.destroy();
});
after(() => tb.close());

test('the files carry Kafka keys and values', () => {
  const p = parseProperties(readFileSync(join(config, 'producer.properties'), 'utf8'));
  assert.deepEqual([...p], [['bootstrap.servers', 'localhost:9092'], ['compression.type', 'none']]);
  const c = parseProperties(readFileSync(join(config, 'consumer.properties'), 'utf8'));
  assert.deepEqual([...c], [['bootstrap.servers', 'localhost:9092'], ['group.id', 'test-consumer-group']]);
});

test('console producer and consumer read them; the consumer commits in the file group', async () => {
  const B = ['--bootstrap-server', tb.broker.bootstrap];
  let err = '';
  const io = { out: (): void => undefined, err: (s: string) => void (err += s) };
  const code = await consoleProducerCommand([...B, '--topic', 'cfg', '--command-config', join(config, 'producer.properties')], io, Readable.from(['a\nb\n']));
  assert.equal(code, 0, err);
  assert.equal(err, '');
  let out = '';
  const cc = await consoleConsumerCommand(
    [...B, '--topic', 'cfg', '--from-beginning', '--max-messages', '2', '--consumer.config', join(config, 'consumer.properties')],
    { out: (s) => void (out += s), err: (s) => void (err += s) },
  );
  assert.equal(cc, 0);
  assert.match(err, /^Option --consumer\.config is deprecated and will be removed in a future version\. Use --command-config instead\.\n/);
  assert.equal(out, 'a\nb\n');
  const admin = await Admin.connect({ bootstrap: tb.broker.bootstrap });
  try {
    const committed = await admin.listConsumerGroupOffsets('test-consumer-group');
    assert.deepEqual(committed.map((c) => [c.topic, c.partition, c.offset]), [['cfg', 0, 2n]]);
  } finally {
    await admin.close();
  }
});

test('the deprecated names warn as Kafka 4.3.1 does and may not be mixed with --command-*', async () => {
  const B = ['--bootstrap-server', tb.broker.bootstrap];
  let err = '';
  const io = { out: (): void => undefined, err: (s: string) => void (err += s) };
  const file = join(config, 'producer.properties');
  assert.equal(await consoleProducerCommand([...B, '--topic', 'cfg', '--command-config', file, '--producer.config', file], io, Readable.from([])), 1);
  assert.match(err, /^Options --command-config and --producer\.config cannot be specified together\./);
  err = '';
  assert.equal(await consoleProducerCommand([...B, '--topic', 'cfg', '--producer-property', 'acks=1'], io, Readable.from(['c\n'])), 0);
  assert.equal(err, 'Warning: --producer-property is deprecated and will be removed in a future version. Use --command-property instead.\n');
  err = '';
  assert.equal(await consoleConsumerCommand([...B, '--topic', 'cfg', '--consumer-property', 'a=b', '--command-property', 'c=d'], io), 1);
  assert.match(err, /^Options --consumer-property and --command-property cannot be specified together\./);
});
