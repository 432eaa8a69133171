// Decompression bombs against the broker under test (Tributary or Apache Kafka 4.3.1): produces
// the 1 GiB gzip, LZ4 and zstd bombs of test/unit/helpers/bombs.ts (payloads of zeros, so no
// records) with Produce v9 and prints each answer as a JSON line; then a normal compressed batch
// must still be taken. Prints OK at the end. Usage: node bombs.mjs <host:port>
import { Connection } from '../../../dist/src/client/index.js';
import { ApiKey } from '../../../dist/src/protocol/messages/index.js';
import { encodeRecordBatchSync } from '../../../dist/src/protocol/records/index.js';
import { gzipBomb, lz4Bomb, zstdBomb, batchWithPayload } from '../../../dist/test/unit/helpers/bombs.js';

const [host, port] = process.argv[2].split(':');
const c = await Connection.connect({ host, port: Number(port) });
const topic = `bombs-${Date.now()}`;
const created = await c.send(ApiKey.CreateTopics, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'max.message.bytes', value: String(8 << 20) }] }], timeoutMs: 30000, validateOnly: false });
if (created.topics[0].errorCode !== 0) throw new Error(`CreateTopics: ${created.topics[0].errorCode}`);
const produce = async (records) => {
  const r = await c.send(ApiKey.Produce, { transactionalId: null, acks: 1, timeoutMs: 30000, topicData: [{ name: topic, topicId: '00000000-0000-0000-0000-000000000000', partitionData: [{ index: 0, records }] }] }, { version: 9 });
  return r.responses[0].partitionResponses[0];
};
for (const [name, codec, payload] of [['gzip', 1, gzipBomb()], ['lz4', 3, lz4Bomb()], ['zstd', 4, zstdBomb()]]) {
  const p = await produce(batchWithPayload(codec, payload));
  console.log(JSON.stringify({ bomb: name, errorCode: p.errorCode }));
}
for (const codec of [1, 2, 3, 4]) {
  const p = await produce(encodeRecordBatchSync({ records: [{ key: Buffer.from('k'), value: Buffer.from('v'.repeat(1000)) }], compression: codec }));
  console.log(JSON.stringify({ normal: codec, errorCode: p.errorCode }));
}
c.close();
console.log('OK');
