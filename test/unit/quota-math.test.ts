// Client quotas, the parts without a broker: the windowed rate and its throttle time (Kafka's
// Rate over a windowed sum and QuotaUtils.throttleTime), and which configured quota applies to a
// (user, client id) in Kafka's 8-level precedence order, with the sharing it implies.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WindowedRate, recordAndThrottle, throttleMs } from '../../src/broker/quota/rate.js';
import { quotaLimit, quotaTags } from '../../src/broker/quota/resolve.js';
import { ClientQuotas } from '../../src/broker/quota/client-quotas.js';
import { ClientQuotaManager } from '../../src/broker/quota/manager.js';
import { userClientKey, type StoredClientQuota } from '../../src/broker/quota/entity.js';

const W = { samples: 11, windowMs: 1000 };

describe('windowed rate', () => {
  test('a new rate is measured over (samples - 1) windows at least', () => {
    const r = new WindowedRate(W);
    r.record(10_000, 0);
    // elapsed 0 ms, no full window: 10 windows are assumed.
    assert.equal(r.windowSizeMs(0), 10_000);
    assert.equal(r.measure(0), 1000);
    // 500 ms on: still 0 full windows, 10.5 s.
    assert.equal(r.windowSizeMs(500), 10_500);
  });

  test('past (samples - 1) windows the span is the real elapsed time', () => {
    const r = new WindowedRate(W);
    for (let t = 0; t <= 10_500; t += 100) r.record(100, t);
    // 106 records of 100 bytes; oldest sample started at 0, 10.5 s elapsed (10 full windows).
    assert.equal(r.windowSizeMs(10_500), 10_500);
    assert.ok(Math.abs(r.measure(10_500) - 10_600 / 10.5) < 1e-9);
  });

  test('samples roll over: the ring keeps samples + 1 and old ones are reused', () => {
    const r = new WindowedRate(W);
    for (let s = 0; s < 30; s++) r.record(1000, s * 1000);
    // At 29 s the ring's 12 slots hold the samples of 18..29 s; the one of 18 s has had no event
    // for 11 s and is obsolete, so 11 samples (19..29 s) over 10 s.
    assert.equal(r.windowSizeMs(29_000), 10_000);
    assert.equal(r.measure(29_000), 1100);
  });

  test('samples with no event for samples x window are purged', () => {
    const r = new WindowedRate(W);
    r.record(5000, 0);
    assert.equal(r.measure(10_999), 5000 / 10.999);
    // At 11 s the only sample is 11 s old: it starts over empty at 11 s.
    assert.equal(r.measure(11_000), 0);
    assert.equal(r.windowSizeMs(11_000), 10_000);
  });

  test('throttle time brings the observed rate back to the bound: X = (O - T) / T * W', () => {
    assert.equal(throttleMs(2000, 1000, 10_000), 10_000);
    assert.equal(throttleMs(1100, 1000, 10_000), 1000);
    assert.equal(throttleMs(1000.04, 1000, 10_000), 0);
    const r = new WindowedRate(W);
    // 1 KB/s bound; 10 KB in the first instant is exactly at the bound (10 s span), no throttle.
    assert.equal(recordAndThrottle(r, 10_000, 1000, 0), 0);
    // 5 KB more: 15 KB over 10 s = 1.5 KB/s -> (1500 - 1000) / 1000 * 10 s = 5 s.
    assert.equal(recordAndThrottle(r, 5000, 1000, 0), 5000);
    // 5 s on, the span is still 10 s (5 s elapsed + 5 missing full windows): the rate is still
    // 1.5 KB/s. The throttle assumed nothing more is recorded; the span grows only past 10 s.
    assert.equal(r.windowSizeMs(5000), 10_000);
    assert.equal(r.measure(5000), 1500);
  });

  /** Simulates a client that sends `size` bytes, then waits the throttle time (at least 5 ms); bytes sent in [from, to). */
  function simulate(w: { samples: number; windowMs: number }, size: number, bound: number, from: number, to: number): number {
    const r = new WindowedRate(w);
    let t = 0;
    let sent = 0;
    while (t < to) {
      const d = recordAndThrottle(r, size, bound, t);
      if (t >= from) sent += size;
      t += Math.max(d, 5);
    }
    return sent;
  }

  test('held to the bound: a client sending as fast as throttling lets it averages the bound', () => {
    const bound = 1024 * 1024;
    // Default windows (11 x 1 s): the first span allows a burst and the rate swings around the
    // bound for a while (as Kafka's does); over minutes it is the bound.
    const long = simulate(W, 65_536, bound, 20_000, 300_000);
    assert.ok(Math.abs(long / (bound * 280) - 1) < 0.02, `${long / (bound * 280)} x the bound`);
    // 2 windows of 1 s: the bound within 10% over 10 s past the first window.
    for (const size of [16_384, 65_536, 131_072]) {
      const short = simulate({ samples: 2, windowMs: 1000 }, size, bound, 2000, 12_000);
      assert.ok(Math.abs(short / (bound * 10) - 1) < 0.1, `${size}: ${short / (bound * 10)} x the bound`);
    }
  });
});

function quotas(list: Array<[string | null | undefined, string | null | undefined, number]>): ClientQuotas {
  const stored: StoredClientQuota[] = list.map(([u, c, v]) => ({
    entity: [...(u !== undefined ? [{ type: 'user', name: u }] : []), ...(c !== undefined ? [{ type: 'client-id', name: c }] : [])],
    values: { producer_byte_rate: v },
  }));
  return new ClientQuotas(stored, { save: async () => undefined });
}

describe('quota resolution (8 levels)', () => {
  // One value per level; removing them one by one from the top must step down the order.
  const levels: Array<[string | null | undefined, string | null | undefined, number, { user: string; clientId: string }]> = [
    ['alice', 'app', 1, { user: 'alice', clientId: 'app' }],
    ['alice', null, 2, { user: 'alice', clientId: 'app' }],
    ['alice', undefined, 3, { user: 'alice', clientId: '' }],
    [null, 'app', 4, { user: 'alice', clientId: 'app' }],
    [null, null, 5, { user: 'alice', clientId: 'app' }],
    [null, undefined, 6, { user: 'alice', clientId: '' }],
    [undefined, 'app', 7, { user: '', clientId: 'app' }],
    [undefined, null, 8, { user: '', clientId: 'app' }],
  ];
  for (let i = 0; i < levels.length; i++) {
    test(`level ${i + 1} applies when levels 1..${i} are not set`, () => {
      const q = quotas(levels.slice(i).map(([u, c, v]) => [u, c, v]));
      const get = (ek: string): number | undefined => q.value('producer_byte_rate', ek);
      const tags = quotaTags((ek) => get(ek) !== undefined, 'alice', 'app');
      assert.deepEqual(tags, levels[i]![3]);
      assert.equal(quotaLimit(get, tags), levels[i]![2]);
    });
  }

  test('no quota: unlimited, nothing measured', () => {
    const q = quotas([['bob', undefined, 100]]);
    const m = new ClientQuotaManager('producer_byte_rate', q, W);
    assert.equal(m.resolve('alice', 'app'), null);
    assert.equal(m.record('alice', 'app', 1e9, 0), 0);
    const none = new ClientQuotaManager('consumer_byte_rate', q, W);
    assert.equal(none.enabled, false);
    assert.equal(none.record('bob', 'x', 1e9, 0), 0);
  });

  test('a user quota is shared by its client ids; a client-id default is one rate per client id', () => {
    const q = quotas([['alice', undefined, 1000], [undefined, null, 1000]]);
    const m = new ClientQuotaManager('producer_byte_rate', q, W);
    // alice's two clients share 1000 B/s: 10 s x 1000 B is the burst for both together.
    assert.equal(m.record('alice', 'a', 10_000, 0), 0);
    assert.ok(m.record('alice', 'b', 1000, 0) > 0);
    // bob's clients fall to clients/<default>: each its own rate.
    assert.equal(m.record('bob', 'a', 10_000, 0), 0);
    assert.equal(m.record('bob', 'b', 10_000, 0), 0);
    assert.ok(m.record('carol', 'a', 1000, 0) > 0, 'client id a is one rate across users (bob and carol)');
  });

  test('a changed quota applies at once', async () => {
    const q = quotas([[undefined, 'app', 1000]]);
    const m = new ClientQuotaManager('producer_byte_rate', q, W);
    assert.equal(m.resolve('u', 'app')?.limit, 1000);
    await q.alter([{ entity: { user: 'u' }, ops: [{ key: 'producer_byte_rate', value: 50 }] }]);
    assert.equal(m.resolve('u', 'app')?.limit, 50);
    await q.alter([{ entity: { user: 'u' }, ops: [{ key: 'producer_byte_rate', value: null }] }]);
    assert.equal(m.resolve('u', 'app')?.limit, 1000);
    assert.equal(q.value('producer_byte_rate', userClientKey('u', undefined)), undefined);
  });

  test('request_percentage throttles are bounded by one window', () => {
    const q = new ClientQuotas([{ entity: [{ type: 'client-id', name: 'busy' }], values: { request_percentage: 1 } }], { save: async () => undefined });
    const m = new ClientQuotaManager('request_percentage', q, W, W.windowMs);
    assert.equal(m.record('', 'busy', 10_000, 0), 1000);
  });
});
