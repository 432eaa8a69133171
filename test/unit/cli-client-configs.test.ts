// The shipped config/producer.properties and config/consumer.properties (Kafka ships both beside
// server.properties): the console tools read them with --producer.config / --consumer.config, and
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
  const code = await consoleProducerCommand([...B, '--topic', 'cfg', '--producer.config', join(config, 'producer.properties')], io, Readable.from(['a\nb\n']));
  assert.equal(code, 0, err);
  let out = '';
  const cc = await consoleConsumerCommand(
    [...B, '--topic', 'cfg', '--from-beginning', '--max-messages', '2', '--consumer.config', join(config, 'consumer.properties')],
    { out: (s) => void (out += s), err: () => undefined },
  );
  assert.equal(cc, 0);
  assert.equal(out, 'a\nb\n');
  const admin = await Admin.connect({ bootstrap: tb.broker.bootstrap });
  try {
    const committed = await admin.listConsumerGroupOffsets('test-consumer-group');
    assert.deepEqual(committed.map((c) => [c.topic, c.partition, c.offset]), [['cfg', 0, 2n]]);
  } finally {
    await admin.close();
  }
});
