// The broker's log cleaner, end to end: a compacted topic produced to over the wire is cleaned in
// the background (log.cleaner.backoff.ms), Fetch reads it across the gaps, and __consumer_offsets
// is compacted by the same cleaner with the committed offsets surviving a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { CLEANER_OFFSET_CHECKPOINT, parseOffsetCheckpoint } from '../../src/storage/index.js';
import { batch, connect, createTopic, fetchRequest, produceRequest, startBroker, ZERO_UUID, type TestBroker } from './helpers/broker-client.js';

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function cleanerCheckpoint(dir: string, topic: string): Promise<number | undefined> {
  try {
    return parseOffsetCheckpoint(await readFile(join(dir, CLEANER_OFFSET_CHECKPOINT), 'utf8')).find((e) => e.topic === topic)?.offset;
  } catch {
    return undefined;
  }
}

/** Every record of partition 0 from offset 0 on, through Fetch, across the gaps. */
async function fetchAll(c: Connection, topic: string): Promise<Array<[number, string, string]>> {
  const got: Array<[number, string, string]> = [];
  let offset = 0n;
  for (;;) {
    const f = await c.send(ApiKey.Fetch, fetchRequest({ topic, offset, partitionMaxBytes: 1024 }), { version: 12 });
    const p = f.responses[0]!.partitions[0]!;
    const batches = decodeRecordSetSync(p.records ?? Buffer.alloc(0));
    if (batches.length === 0) return got;
    for (const b of batches) {
      for (const r of b.records) got.push([r.offset, r.key?.toString() ?? '', r.value?.toString() ?? '']);
      offset = BigInt(b.header.baseOffset + b.header.lastOffsetDelta + 1);
    }
  }
}

describe('log cleaner in the broker', () => {
  let tb: TestBroker;
  let c: Connection;
  before(async () => {
    tb = await startBroker({ 'log.cleaner.backoff.ms': 20, 'offsets.topic.num.partitions': 1, 'offsets.topic.segment.bytes': 1048576 });
    c = await connect(tb);
  });
  after(async () => {
    await c.close();
    await tb.close();
  });

  test('a compacted topic is cleaned in the background and fetched across its gaps', async () => {
    await createTopic(c, 'ck', 1, { 'cleanup.policy': 'compact', 'internal.segment.bytes': '4096', 'min.cleanable.dirty.ratio': '0.01', 'segment.ms': '100' });
    for (let v = 0; v < 40; v++) {
      const r = await c.send(ApiKey.Produce, produceRequest('ck', 0, batch(Array.from({ length: 50 }, (_, k) => ({ key: `k${k}`, value: `v${v}-k${k}` })))), { version: 9 });
      assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0);
    }
    // A later append rolls the segment holding the last versions (segment.ms), so they can be cleaned.
    await new Promise((r) => setTimeout(r, 150));
    await c.send(ApiKey.Produce, produceRequest('ck', 0, batch([{ key: 'filler', value: 'f' }])), { version: 9 });
    await until('the cleaner to reach the active segment', async () => ((await cleanerCheckpoint(tb.dir, 'ck')) ?? 0) >= 2000 || undefined);
    const got = await fetchAll(c, 'ck');
    assert.equal(got.length, 51);
    assert.deepEqual(got.slice(0, 50).map(([, k, v]) => [k, v]), Array.from({ length: 50 }, (_, k) => [`k${k}`, `v39-k${k}`]));
    assert.deepEqual(got.map(([o]) => o).slice(0, 3), [1950, 1951, 1952]);
  });

  test('__consumer_offsets is compacted by the same cleaner; the committed offsets survive a restart', async () => {
    await createTopic(c, 'gt', 1);
    const commit = (i: number) =>
      c.send(ApiKey.OffsetCommit, {
        groupId: 'compacted-group',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [{ name: 'gt', topicId: ZERO_UUID, partitions: [{ partitionIndex: 0, committedOffset: BigInt(i), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'm'.repeat(200) }] }],
      }, { version: 8 });
    // The first commit creates __consumer_offsets: COORDINATOR_NOT_AVAILABLE until it is loaded.
    await until('the group coordinator', async () => ((await commit(1)).topics[0]!.partitions[0]!.errorCode === 0 ? true : undefined));
    // ~2.5 MB of commits: __consumer_offsets rolls its 1 MiB segments (segment.bytes' minimum).
    const N = 8000;
    for (let i = 2; i <= N; i += 100) {
      const rs = await Promise.all(Array.from({ length: Math.min(100, N + 1 - i) }, (_, j) => commit(i + j)));
      for (const r of rs) assert.equal(r.topics[0]!.partitions[0]!.errorCode, 0);
    }
    await until('__consumer_offsets to be cleaned', async () => ((await cleanerCheckpoint(tb.dir, '__consumer_offsets')) ?? 0) > 0 || undefined);
    // Of the 8000 commit records, those below the cleaned point are down to one (the key's latest).
    const cleanedTo = (await cleanerCheckpoint(tb.dir, '__consumer_offsets'))!;
    const records = await fetchAll(c, '__consumer_offsets');
    const below = records.filter(([o]) => o < cleanedTo);
    assert.ok(cleanedTo > 1000 && below.length <= 2, `${below.length} records below ${cleanedTo}`);
    await c.close();
    await tb.restart();
    c = await connect(tb);
    // The coordinator reloads __consumer_offsets after the restart (COORDINATOR_LOAD_IN_PROGRESS meanwhile).
    const committed = await until('the reloaded group offsets', async () => {
      const f = await c.send(ApiKey.OffsetFetch, { groupId: 'compacted-group', topics: [{ name: 'gt', partitionIndexes: [0] }], groups: [], requireStable: false }, { version: 7 });
      return f.errorCode === 0 && f.topics.length === 1 ? f.topics[0]!.partitions[0]!.committedOffset : undefined;
    });
    assert.equal(committed, 8000n);
  });
});
