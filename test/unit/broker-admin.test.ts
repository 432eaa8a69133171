// Topic administration against the embedded broker: CreateTopics (validateOnly, replication
// factor, duplicates), DeleteTopics, CreatePartitions, DeleteRecords, and a restart on the same
// log dir that finds topics, data and log start offsets intact.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/client/index.js';
import { ApiKey, type CreateTopicsRequestCreatableTopic, type MetadataResponse } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { batch, connect, createTopic, fetchRequest, latestOffset, listOffsetsRequest, EARLIEST, produceRequest, startBroker, ZERO_UUID, type TestBroker } from './helpers/broker-client.js';

function topicSpec(name: string, numPartitions = 1, replicationFactor = 1, configs: Record<string, string> = {}): CreateTopicsRequestCreatableTopic {
  return { name, numPartitions, replicationFactor, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) };
}

describe('topic administration', () => {
  let tb: TestBroker;
  let c: Connection;

  const metadata = (names: string[] | null): Promise<MetadataResponse> =>
    c.send(ApiKey.Metadata, {
      topics: names === null ? null : names.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
  const topicNames = async (): Promise<string[]> => (await metadata(null)).topics.map((t) => t.name!).sort();

  before(async () => {
    tb = await startBroker();
    c = await connect(tb);
  });
  after(async () => {
    await c.close();
    await tb.close();
  });

  test('CreateTopics: validateOnly creates nothing; replication factor 2 → INVALID_REPLICATION_FACTOR; duplicate → TOPIC_ALREADY_EXISTS', async () => {
    const dry = await c.send(ApiKey.CreateTopics, { topics: [topicSpec('dry', 3)], timeoutMs: 5000, validateOnly: true });
    assert.equal(dry.topics[0]!.errorCode, 0);
    assert.equal(dry.topics[0]!.numPartitions, 3);
    assert.deepEqual(await topicNames(), []);

    const rf2 = await c.send(ApiKey.CreateTopics, { topics: [topicSpec('rf2', 1, 2)], timeoutMs: 5000, validateOnly: false });
    assert.equal(rf2.topics[0]!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
    const badConfig = await c.send(ApiKey.CreateTopics, { topics: [topicSpec('badcfg', 1, 1, { 'cleanup.policy': 'sometimes' })], timeoutMs: 5000, validateOnly: false });
    assert.equal(badConfig.topics[0]!.errorCode, ErrorCode.INVALID_CONFIG);
    const zero = await c.send(ApiKey.CreateTopics, { topics: [topicSpec('zero', 0)], timeoutMs: 5000, validateOnly: false });
    assert.equal(zero.topics[0]!.errorCode, ErrorCode.INVALID_PARTITIONS);

    for (const v of [0, 4, 7]) {
      const name = `created-v${v}`;
      const res = await c.send(ApiKey.CreateTopics, { topics: [topicSpec(name, 2)], timeoutMs: 5000, validateOnly: false }, { version: v });
      assert.equal(res.topics[0]!.errorCode, 0, `CreateTopics v${v}`);
      const again = await c.send(ApiKey.CreateTopics, { topics: [topicSpec(name, 2)], timeoutMs: 5000, validateOnly: false }, { version: v });
      assert.equal(again.topics[0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS, `CreateTopics v${v} duplicate`);
    }
    // Defaults (-1, -1) take num.partitions and replication factor 1.
    const dflt = await c.send(ApiKey.CreateTopics, { topics: [topicSpec('defaults', -1, -1)], timeoutMs: 5000, validateOnly: false });
    assert.equal(dflt.topics[0]!.errorCode, 0);
    assert.equal(dflt.topics[0]!.replicationFactor, 1);
    assert.deepEqual(await topicNames(), ['created-v0', 'created-v4', 'created-v7', 'defaults']);
    const md = await metadata(['created-v7']);
    assert.equal(md.topics[0]!.partitions.length, 2);
  });

  test('Metadata v12+ names a topic by id when the id is set, whatever the name (the Java KIP-848 consumer sends an empty one)', async () => {
    await createTopic(c, 'by-id', 2);
    const id = (await metadata(['by-id'])).topics[0]!.topicId;
    const unknown = '00000000-0000-0000-0000-0000000000ee';
    for (const v of [12, 13]) {
      const r = await c.send(
        ApiKey.Metadata,
        { topics: [{ topicId: id, name: '' }, { topicId: id, name: null }, { topicId: unknown, name: '' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false },
        { version: v },
      );
      assert.deepEqual(
        r.topics.map((t) => [t.errorCode, t.name, t.topicId, t.partitions.length]),
        [
          [0, 'by-id', id, 2],
          [0, 'by-id', id, 2],
          [ErrorCode.UNKNOWN_TOPIC_ID, null, unknown, 0],
        ],
        `v${v}`,
      );
    }
  });

  test('DescribeCluster v0-v2: this broker, never fenced (v2 IncludeFencedBrokers changes nothing)', async () => {
    for (const v of [0, 1, 2]) {
      const r = await c.send(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: v >= 2 }, { version: v });
      assert.equal(r.errorCode, 0, `v${v}`);
      assert.deepEqual(r.brokers.map((b) => [b.brokerId, b.port, b.isFenced]), [[tb.broker.config.nodeId, tb.broker.port, false]], `v${v}`);
    }
  });

  test('DeleteTopics removes a topic; deleting it again → UNKNOWN_TOPIC_OR_PARTITION', async () => {
    await createTopic(c, 'doomed', 2);
    await c.send(ApiKey.Produce, produceRequest('doomed', 1, batch(['x'])), { version: 12 });
    const res = await c.send(ApiKey.DeleteTopics, { topics: [], topicNames: ['doomed'], timeoutMs: 5000 }, { version: 5 });
    assert.equal(res.responses[0]!.errorCode, 0);
    assert.equal((await metadata(['doomed'])).topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const again = await c.send(ApiKey.DeleteTopics, { topics: [], topicNames: ['doomed'], timeoutMs: 5000 }, { version: 5 });
    assert.equal(again.responses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // Recreated under the same name, it starts empty.
    await createTopic(c, 'doomed', 2);
    assert.equal(await latestOffset(c, 'doomed', 1), 0n);
    // By topic id (v6).
    const id = (await metadata(['doomed'])).topics[0]!.topicId;
    const byId = await c.send(ApiKey.DeleteTopics, { topics: [{ name: null, topicId: id }], topicNames: [], timeoutMs: 5000 }, { version: 6 });
    assert.equal(byId.responses[0]!.errorCode, 0);
    assert.equal((await metadata(['doomed'])).topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test('CreatePartitions grows a topic; shrinking → INVALID_PARTITIONS', async () => {
    await createTopic(c, 'growing', 1);
    const res = await c.send(ApiKey.CreatePartitions, { topics: [{ name: 'growing', count: 3, assignments: null }], timeoutMs: 5000, validateOnly: false });
    assert.equal(res.results[0]!.errorCode, 0);
    assert.equal((await metadata(['growing'])).topics[0]!.partitions.length, 3);
    const pr = await c.send(ApiKey.Produce, produceRequest('growing', 2, batch(['in-new-partition'])), { version: 12 });
    assert.equal(pr.responses[0]!.partitionResponses[0]!.errorCode, 0);
    const shrink = await c.send(ApiKey.CreatePartitions, { topics: [{ name: 'growing', count: 2, assignments: null }], timeoutMs: 5000, validateOnly: false });
    assert.equal(shrink.results[0]!.errorCode, ErrorCode.INVALID_PARTITIONS);
    const unknown = await c.send(ApiKey.CreatePartitions, { topics: [{ name: 'nope', count: 2, assignments: null }], timeoutMs: 5000, validateOnly: false });
    assert.equal(unknown.results[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test('DeleteRecords advances the log start; fetching below it → OFFSET_OUT_OF_RANGE; a restart keeps it all', async () => {
    await createTopic(c, 'trimmed', 1, { 'internal.segment.bytes': '1024' });
    for (let i = 0; i < 20; i++) {
      const r = await c.send(ApiKey.Produce, produceRequest('trimmed', 0, batch([{ value: `r${i}-${'p'.repeat(200)}` }])), { version: 12 });
      assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0);
    }
    const del = await c.send(ApiKey.DeleteRecords, { topics: [{ name: 'trimmed', partitions: [{ partitionIndex: 0, offset: 12n }] }], timeoutMs: 5000 });
    const p = del.topics[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    assert.equal(p.lowWatermark, 12n);

    const checkTrimmed = async (): Promise<void> => {
      const below = await c.send(ApiKey.Fetch, fetchRequest({ topic: 'trimmed', offset: 5 }), { version: 12 });
      assert.equal(below.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
      const at = await c.send(ApiKey.Fetch, fetchRequest({ topic: 'trimmed', offset: 12 }), { version: 12 });
      const pd = at.responses[0]!.partitions[0]!;
      assert.equal(pd.errorCode, 0);
      assert.equal(pd.logStartOffset, 12n);
      const values = decodeRecordSetSync(pd.records!).flatMap((b) => b.records.map((r) => r.value!.toString().split('-')[0]));
      assert.equal(values[0], 'r12');
      const earliest = await c.send(ApiKey.ListOffsets, listOffsetsRequest('trimmed', 0, EARLIEST));
      assert.equal(earliest.topics[0]!.partitions[0]!.offset, 12n);
      assert.equal(await latestOffset(c, 'trimmed'), 20n);
    };
    await checkTrimmed();
    // Beyond the high watermark → OFFSET_OUT_OF_RANGE.
    const tooFar = await c.send(ApiKey.DeleteRecords, { topics: [{ name: 'trimmed', partitions: [{ partitionIndex: 0, offset: 99n }] }], timeoutMs: 5000 });
    assert.equal(tooFar.topics[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);

    // Restart on the same log dir.
    const namesBefore = await topicNames();
    const idsBefore = (await metadata(null)).topics.map((t) => `${t.name}:${t.topicId}:${t.partitions.length}`).sort();
    await c.close();
    await tb.restart();
    c = await connect(tb);
    assert.deepEqual(await topicNames(), namesBefore);
    assert.deepEqual((await metadata(null)).topics.map((t) => `${t.name}:${t.topicId}:${t.partitions.length}`).sort(), idsBefore, 'ids and partition counts survive');
    await checkTrimmed();
    assert.equal(await latestOffset(c, 'growing', 2), 1n);
    // Appends continue at the next offset.
    const more = await c.send(ApiKey.Produce, produceRequest('trimmed', 0, batch(['after-restart'])), { version: 12 });
    assert.equal(more.responses[0]!.partitionResponses[0]!.baseOffset, 20n);
  });
});
