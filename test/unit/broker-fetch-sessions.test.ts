// Incremental fetch sessions (KIP-227): full request opens a session, incremental requests carry
// changes only and get only partitions with news; wrong epochs and unknown ids are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, type FetchRequest } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { batch, connect, createTopic, fetchRequest, produceRequest, startBroker } from './helpers/broker-client.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';

function sessionFetch(partitions: Array<[number, number]>, sessionId: number, sessionEpoch: number, forgotten: number[] = []): FetchRequest {
  const r = fetchRequest({ topic: 's', offset: 0 });
  r.sessionId = sessionId;
  r.sessionEpoch = sessionEpoch;
  const template = r.topics[0]!.partitions[0]!;
  r.topics = partitions.length === 0 ? [] : [{ topic: 's', topicId: r.topics[0]!.topicId, partitions: partitions.map(([p, off]) => ({ ...template, partition: p, fetchOffset: BigInt(off) })) }];
  r.forgottenTopicsData = forgotten.length ? [{ topic: 's', topicId: ZERO_UUID, partitions: forgotten }] : [];
  return r;
}

const parts = (res: { responses: Array<{ partitions: Array<{ partitionIndex: number }> }> }): number[] =>
  res.responses.flatMap((t) => t.partitions.map((p) => p.partitionIndex)).sort();

test('fetch sessions: open, incremental news only, forget, close, errors', async () => {
  const tb = await startBroker();
  const c = await connect(tb);
  try {
    await createTopic(c, 's', 3);
    await c.send(ApiKey.Produce, produceRequest('s', 0, batch(['a', 'b'])), { version: 12 });
    const v = { version: 12 };

    const full = await c.send(ApiKey.Fetch, sessionFetch([[0, 0], [1, 0], [2, 0]], 0, 0), v);
    assert.equal(full.errorCode, ErrorCode.NONE);
    assert.notEqual(full.sessionId, 0);
    assert.deepEqual(parts(full), [0, 1, 2]);
    const id = full.sessionId;

    // Nothing changed: an incremental answer is empty (partition 0 still at offset 0 has data though,
    // so move it to its end first).
    const inc1 = await c.send(ApiKey.Fetch, sessionFetch([[0, 2]], id, 1), v);
    assert.equal(inc1.errorCode, ErrorCode.NONE);
    assert.deepEqual(parts(inc1), []);

    await c.send(ApiKey.Produce, produceRequest('s', 1, batch(['c'])), { version: 12 });
    const inc2 = await c.send(ApiKey.Fetch, sessionFetch([], id, 2), v);
    assert.deepEqual(parts(inc2), [1], 'only the partition with news');
    assert.equal(inc2.responses[0]!.partitions[0]!.highWatermark, 1n);

    // The same epoch again is refused; so is an unknown session.
    assert.equal((await c.send(ApiKey.Fetch, sessionFetch([], id, 2), v)).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    assert.equal((await c.send(ApiKey.Fetch, sessionFetch([], id + 1000, 1), v)).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

    // Forget partition 1, then produce to it: no news for this session. Partition 2 still reports.
    const inc3 = await c.send(ApiKey.Fetch, sessionFetch([], id, 3, [1]), v);
    assert.equal(inc3.errorCode, ErrorCode.NONE);
    await c.send(ApiKey.Produce, produceRequest('s', 1, batch(['d'])), { version: 12 });
    await c.send(ApiKey.Produce, produceRequest('s', 2, batch(['e'])), { version: 12 });
    const inc4 = await c.send(ApiKey.Fetch, sessionFetch([], id, 4), v);
    assert.deepEqual(parts(inc4), [2]);

    // Epoch -1 closes the session: a sessionless full fetch answers session id 0.
    const last = await c.send(ApiKey.Fetch, sessionFetch([[0, 0]], id, -1), v);
    assert.equal(last.sessionId, 0);
    assert.deepEqual(parts(last), [0]);
    assert.equal((await c.send(ApiKey.Fetch, sessionFetch([], id, 5), v)).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  } finally {
    await c.close();
    await tb.close();
  }
});

test('fetch sessions: a full cache evicts the least recently used; 0 slots declines sessions', async () => {
  const tb = await startBroker({ 'max.incremental.fetch.session.cache.slots': 1 });
  const c = await connect(tb);
  try {
    await createTopic(c, 's', 1);
    const v = { version: 12 };
    const a = await c.send(ApiKey.Fetch, sessionFetch([[0, 0]], 0, 0), v);
    const b = await c.send(ApiKey.Fetch, sessionFetch([[0, 0]], 0, 0), v);
    assert.notEqual(a.sessionId, b.sessionId);
    assert.equal((await c.send(ApiKey.Fetch, sessionFetch([], a.sessionId, 1), v)).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    assert.equal((await c.send(ApiKey.Fetch, sessionFetch([], b.sessionId, 1), v)).errorCode, ErrorCode.NONE);
  } finally {
    await c.close();
    await tb.close();
  }
  const none = await startBroker({ 'max.incremental.fetch.session.cache.slots': 0 });
  const c2 = await connect(none);
  try {
    await createTopic(c2, 's', 1);
    assert.equal((await c2.send(ApiKey.Fetch, sessionFetch([[0, 0]], 0, 0), { version: 12 })).sessionId, 0);
  } finally {
    await c2.close();
    await none.close();
  }
});
