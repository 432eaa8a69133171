// Many consumers long-polling one broker: 50 fetches waiting at once print no Node warning
// (MaxListenersExceededWarning, as one abort listener per wait on a shared signal did), and the
// broker's registry of waits is empty again once they have been answered, by an append or by
// max_wait_ms. The registry itself: close() cancels every wait, and any added later at once.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { Waits } from '../../src/broker/waits.js';
import { batch, connect, createTopic, deadline, fetchRequest, produceRequest, startBroker, topicId, type TestBroker } from './helpers/broker-client.js';

const WAITERS = 50;

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('fetch long polls', () => {
  let tb: TestBroker;
  let admin: Connection;
  let consumers: Connection[] = [];
  let id = '';
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);

  before(async () => {
    process.on('warning', onWarning);
    tb = await startBroker();
    admin = await connect(tb);
    await createTopic(admin, 'lp');
    id = await topicId(admin, 'lp');
    // One connection per consumer: a connection's requests are answered in order.
    consumers = await Promise.all(Array.from({ length: WAITERS }, () => connect(tb)));
  });
  after(async () => {
    process.off('warning', onWarning);
    await Promise.all(consumers.map((c) => c.close()));
    await admin.close();
    await tb.close();
  });

  const assertNoWarnings = async (): Promise<void> => {
    await new Promise((r) => setImmediate(r)); // process 'warning' is emitted on a later tick
    assert.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
  };

  test(`${WAITERS} fetches waiting at once: no warning, woken by one append, and no wait left behind`, async () => {
    const polls = consumers.map((c) => c.send(ApiKey.Fetch, fetchRequest({ topic: 'lp', topicId: id, offset: 0, maxWaitMs: 20_000, minBytes: 1 })));
    await until(`${WAITERS} waiting fetches`, () => tb.broker.waitingRequests === WAITERS);
    const res = await admin.send(ApiKey.Produce, produceRequest('lp', 0, batch(['hello'])), { version: 12 });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
    const answers = await deadline(Promise.all(polls), 10_000, 'the fetches to wake');
    for (const a of answers) assert.ok(a.responses[0]!.partitions[0]!.records!.length > 0, 'each fetch got the record');
    assert.equal(tb.broker.waitingRequests, 0);
    await assertNoWarnings();
  });

  test(`${WAITERS} fetches that time out leave no wait behind either`, async () => {
    const polls = consumers.map((c) => c.send(ApiKey.Fetch, fetchRequest({ topic: 'lp', topicId: id, offset: 1, maxWaitMs: 300, minBytes: 1 })));
    await until(`${WAITERS} waiting fetches`, () => tb.broker.waitingRequests === WAITERS);
    const answers = await deadline(Promise.all(polls), 10_000, 'the fetches to time out');
    for (const a of answers) assert.equal(a.responses[0]!.partitions[0]!.records!.length, 0);
    assert.equal(tb.broker.waitingRequests, 0);
    await assertNoWarnings();
  });
});

test('Waits: close() cancels every wait once, later ones at once; a finished wait is not cancelled', () => {
  const w = new Waits();
  const cancelled: string[] = [];
  const removeA = w.add(() => cancelled.push('a'));
  w.add(() => cancelled.push('b'));
  assert.equal(w.size, 2);
  removeA();
  assert.equal(w.size, 1);
  w.close();
  assert.equal(w.closed, true);
  assert.deepEqual(cancelled, ['b']);
  assert.equal(w.size, 0);
  w.add(() => cancelled.push('late'));
  assert.deepEqual(cancelled, ['b', 'late']);
  assert.equal(w.size, 0);
});
