// `tributary console-producer` (kafka-console-producer.sh): lines from stdin as records, with
// Kafka's reader properties (parse.key, key.separator, parse.headers, null.marker, ignore.error)
// and exit codes, read back from the embedded broker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { consoleProducerCommand, parseLine } from '../../src/cli/console-producer.js';
import { Admin } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { connect, fetchRequest, startBroker, topicId, type TestBroker } from './helpers/broker-client.js';

describe('kafka-console-producer', () => {
  let tb: TestBroker;
  let B: string[];
  before(async () => {
    tb = await startBroker();
    B = ['--bootstrap-server', `127.0.0.1:${tb.broker.port}`];
    const admin = await Admin.connect({ bootstrap: `127.0.0.1:${tb.broker.port}` });
    await admin.createTopics(['cp-plain', 'cp-keys', 'cp-headers', 'cp-bad', 'cp-gzip'].map((name) => ({ name, partitions: 1 })));
    await admin.close();
  });
  after(async () => {
    await tb.close();
  });

  async function run(input: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await consoleProducerCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) }, Readable.from([input]));
    return { code, out, err };
  }

  async function records(topic: string): Promise<Array<{ key: string | null; value: string | null; headers: Array<[string, string | null]> }>> {
    const c = await connect(tb);
    try {
      const res = await c.send(ApiKey.Fetch, fetchRequest({ topic, topicId: await topicId(c, topic), offset: 0 }));
      return decodeRecordSetSync(res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0))
        .flatMap((b) => b.records)
        .map((r) => ({ key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, headers: r.headers.map((h) => [h.key, h.value?.toString() ?? null] as [string, string | null]) }));
    } finally {
      c.destroy();
    }
  }

  test('each line is a record, in order', async () => {
    assert.deepEqual(await run('one\ntwo\n\nthree', ...B, '--topic', 'cp-plain'), { code: 0, out: '', err: '' });
    assert.deepEqual((await records('cp-plain')).map((r) => [r.key, r.value]), [[null, 'one'], [null, 'two'], [null, ''], [null, 'three']]);
  });

  test('parse.key with key.separator, null.marker, --sync, and the deprecated --property', async () => {
    const r = await run('a:1\nb:2:3\nNULL:4\n', ...B, '--topic', 'cp-keys', '--sync', '--property', 'parse.key=true', '--reader-property', 'key.separator=:', '--reader-property', 'null.marker=NULL');
    assert.equal(r.code, 0);
    assert.match(r.err, /--property is deprecated/);
    assert.deepEqual((await records('cp-keys')).map((x) => [x.key, x.value]), [['a', '1'], ['b', '2:3'], [null, '4']]);
  });

  test('parse.headers', async () => {
    assert.equal((await run('h1:x,h2\tk\tv\n\tk2\tv2\n', ...B, '--topic', 'cp-headers', '--reader-property', 'parse.headers=true', '--reader-property', 'parse.key=true')).code, 0);
    assert.deepEqual(await records('cp-headers'), [
      { key: 'k', value: 'v', headers: [['h1', 'x'], ['h2', null]] },
      { key: 'k2', value: 'v2', headers: [] },
    ]);
  });

  test("a line without the separator stops with Kafka's message (exit 1) unless ignore.error", async () => {
    const bad = await run('a\tok\nnokey\nc\tlate\n', ...B, '--topic', 'cp-bad', '--reader-property', 'parse.key=true');
    assert.equal(bad.code, 1);
    assert.equal(bad.err, "No key separator found on line number 2: 'nokey'\n");
    assert.deepEqual((await records('cp-bad')).map((x) => x.value), ['ok'], 'what came before was sent, nothing after');
    assert.equal((await run('nokey\nd\tfine\n', ...B, '--topic', 'cp-bad', '--reader-property', 'parse.key=true', '--reader-property', 'ignore.error=true')).code, 0);
    assert.deepEqual((await records('cp-bad')).map((x) => x.value), ['ok', 'fine']);
  });

  test('compression, acks and errors', async () => {
    assert.equal((await run('z1\nz2\n', ...B, '--topic', 'cp-gzip', '--compression-codec', '--request-required-acks', '1')).code, 0);
    assert.deepEqual((await records('cp-gzip')).map((x) => x.value), ['z1', 'z2']);
    const missing = await run('x\n', ...B, '--topic', 'cp-missing');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /Error when sending message to topic cp-missing: .*not in the metadata/);
    assert.match((await run('x\n', '--topic', 't')).err, /Missing required option\(s\) \[bootstrap-server\]/);
    assert.match((await run('x\n', ...B)).err, /Missing required option\(s\) \[topic\]/);
    assert.match((await run('x\n', ...B, '--topic', 't', '--compression-codec', 'brotli')).err, /Unknown compression codec brotli/);
  });

  test('parseLine follows LineMessageReader', () => {
    const c = { parseKey: true, keySeparator: '\t', parseHeaders: false, headersDelimiter: '\t', headersSeparator: ',', headersKeySeparator: ':', nullMarker: null, ignoreError: false };
    assert.deepEqual(parseLine('k\tv\tw', 1, c), { key: 'k', value: 'v\tw' });
    assert.throws(() => parseLine('kv', 7, c), /No key separator found on line number 7: 'kv'/);
  });
});
