// kafka-transactions (src/cli/transactions.ts) against the embedded broker: list and describe an
// open transaction in Kafka's table format, abort a producer's transaction on a partition with
// --producer-id/--producer-epoch/--coordinator-epoch (the ABORT marker lands in the log), and the
// usage errors and exit codes. (describe-producers, abort --start-offset and find-hanging need
// DescribeProducers: the interop test runs them against Apache Kafka.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Producer } from '../../src/client/index.js';
import { table, transactionsCommand } from '../../src/cli/transactions.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { CONTROL_ABORT, decodeRecordSetSync, isControl, parseControlRecordKey } from '../../src/protocol/records/index.js';
import { connect, fetchRequest, startBroker, topicId, type TestBroker } from './helpers/broker-client.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await transactionsCommand(argv, { out: (s) => void (out += s), err: (s) => void (err += s) }, () => 1_000_000);
  return { code, out, err };
}

test('tables are padded per column, each cell followed by a tab, as Kafka prints them', () => {
  assert.equal(table(['A', 'Bee'], [['long-value', 'x'], ['y', 'z']]), 'A         \tBee\t\nlong-value\tx  \t\ny         \tz  \t\n');
  assert.equal(table(['A'], []), 'A\t\n');
});

describe('kafka-transactions', () => {
  let tb: TestBroker;
  let b: string[];
  let producer: Producer;
  before(async () => {
    tb = await startBroker({ 'transaction.state.log.num.partitions': 1 });
    b = ['--bootstrap-server', `127.0.0.1:${tb.broker.port}`];
    const admin = await Admin.connect({ bootstrap: b[1]! });
    await admin.createTopics([{ name: 'cli-tx', partitions: 2 }]);
    await admin.close();
    producer = await Producer.connect({ bootstrap: b[1]!, transactionalId: 'cli-open', transactionTimeoutMs: 120_000 });
    await producer.initTransactions();
    producer.beginTransaction();
    await producer.send('cli-tx', [{ value: 'a', partition: 1 }, { value: 'b', partition: 0 }]);
  });
  after(async () => {
    await producer.close();
    await tb.close();
  });

  test('list shows the open transaction with its coordinator', async () => {
    const r = await run(...b, 'list');
    assert.equal(r.code, 0, r.err);
    const admin = await Admin.connect({ bootstrap: b[1]! });
    const cluster = await admin.describeCluster();
    await admin.close();
    const lines = r.out.split('\n');
    assert.match(lines[0]!, /^TransactionalId\s*\tCoordinator\t\s*ProducerId\s*\tTransactionState\s*\t$/);
    const row = lines.find((l) => l.startsWith('cli-open'))!.split('\t').map((c) => c.trim());
    assert.deepEqual([row[0], row[1], row[2], row[3]], ['cli-open', String(cluster.brokers[0]!.nodeId), String(producer.producerIdAndEpoch!.id), 'Ongoing']);
    assert.equal((await run(...b, 'list', '--duration-filter', '600000')).out.includes('cli-open'), false, 'not open for 10 minutes');
  });

  test('describe shows the state, the epoch and the partitions of the transaction', async () => {
    const r = await run(...b, 'describe', '--transactional-id', 'cli-open');
    assert.equal(r.code, 0, r.err);
    const [head, row] = r.out.trimEnd().split('\n');
    assert.deepEqual(head!.split('\t').map((c) => c.trim()).filter((c) => c), ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions']);
    const cells = row!.split('\t').map((c) => c.trim());
    assert.equal(cells[1], 'cli-open');
    assert.equal(cells[3], String(producer.producerIdAndEpoch!.epoch));
    assert.equal(cells[4], 'Ongoing');
    assert.equal(cells[5], '120000');
    assert.equal(cells[7], String(1_000_000 - Number(cells[6])));
    assert.equal(cells[8], 'cli-tx-0,cli-tx-1');

    const missing = await run(...b, 'describe', '--transactional-id', 'no-such-id');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^Failed to describe transaction state of transactional-id `no-such-id`: .*TRANSACTIONAL_ID_NOT_FOUND/);
  });

  test('abort with the producer id, epoch and coordinator epoch writes an ABORT marker on the partition', async () => {
    const { id, epoch } = producer.producerIdAndEpoch!;
    const r = await run(...b, 'abort', '--topic', 'cli-tx', '--partition', '1', '--producer-id', String(id), '--producer-epoch', String(epoch), '--coordinator-epoch', '0');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '');
    const c = await connect(tb);
    const res = await c.send(ApiKey.Fetch, fetchRequest({ topic: 'cli-tx', topicId: await topicId(c, 'cli-tx'), partition: 1, offset: 0, partitionMaxBytes: 1 << 20 }));
    c.destroy();
    const batches = decodeRecordSetSync(res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0));
    const last = batches.at(-1)!;
    assert.ok(isControl(last.header.attributes));
    assert.equal(parseControlRecordKey(last.records[0]!.key).type, CONTROL_ABORT);
    assert.equal(last.header.producerId, id);
  });

  test('usage errors and missing arguments exit 1 with Kafka\'s messages', async () => {
    assert.equal((await run('list')).code, 1);
    const noCmd = await run(...b);
    assert.equal(noCmd.code, 1);
    const how = await run(...b, 'abort', '--topic', 'cli-tx', '--partition', '0');
    assert.equal(how.code, 1);
    assert.match(how.err, /^The transaction to abort must be identified either with --start-offset/);
    const epoch = await run(...b, 'abort', '--topic', 'cli-tx', '--partition', '0', '--producer-id', '5');
    assert.equal(epoch.err, 'Missing required argument --producer-epoch\n');
    const scope = await run(...b, 'find-hanging');
    assert.match(scope.err, /^The `find-hanging` command requires either --topic or --broker-id/);
    assert.match((await run(...b, 'find-hanging', '--broker-id', '1', '--partition', '0')).err, /^The --partition argument requires --topic/);
    assert.equal((await run(...b, 'describe-producers', '--topic', 'cli-tx', '--partition', 'x')).code, 1);
  });
});
