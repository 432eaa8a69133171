// DescribeTopicPartitions on a single node: every topic sorted by name when none is named, the
// partitions as Metadata gives them with empty eligible-leader lists, an unknown topic reported,
// and paging by response_partition_limit with next_cursor / cursor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { Connection } from '../../src/client/connection.js';
import type { DescribeTopicPartitionsResponse } from '../../src/protocol/messages/75-describe-topic-partitions.js';
import { connect, createTopic, startBroker, type TestBroker } from './helpers/broker-client.js';

let tb: TestBroker;
let conn: Connection;
before(async () => {
  tb = await startBroker();
  conn = await connect(tb);
  await createTopic(conn, 'b-topic', 3);
  await createTopic(conn, 'a-topic', 2);
});
after(async () => {
  await conn.close();
  await tb.close();
});

test('all topics by name, partitions as Metadata, empty ELR, unknown topics reported', async () => {
  const all = await conn.send(ApiKey.DescribeTopicPartitions, { topics: [], responsePartitionLimit: 100, cursor: null });
  assert.deepEqual(all.topics.map((t) => [t.name, t.partitions.length]), [['a-topic', 2], ['b-topic', 3]]);
  assert.equal(all.nextCursor, null);
  const p = all.topics[0]!.partitions[0]!;
  assert.deepEqual([p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes, p.eligibleLeaderReplicas, p.lastKnownElr, p.offlineReplicas], [tb.broker.config.nodeId, 0, [tb.broker.config.nodeId], [tb.broker.config.nodeId], [], [], []]);
  const unknown = await conn.send(ApiKey.DescribeTopicPartitions, { topics: [{ name: 'nope' }], responsePartitionLimit: 100, cursor: null });
  assert.equal(unknown.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('pages of response_partition_limit partitions, continued from next_cursor', async () => {
  const seen: string[] = [];
  let cursor: { topicName: string; partitionIndex: number } | null = null;
  for (let page = 0; page < 5; page++) {
    const r: DescribeTopicPartitionsResponse = await conn.send(ApiKey.DescribeTopicPartitions, { topics: [{ name: 'a-topic' }, { name: 'b-topic' }], responsePartitionLimit: 2, cursor });
    for (const t of r.topics) for (const p of t.partitions) seen.push(`${t.name}-${p.partitionIndex}`);
    assert.ok(r.topics.reduce((n, t) => n + t.partitions.length, 0) <= 2);
    cursor = r.nextCursor;
    if (!cursor) break;
  }
  assert.deepEqual(seen, ['a-topic-0', 'a-topic-1', 'b-topic-0', 'b-topic-1', 'b-topic-2']);
});
