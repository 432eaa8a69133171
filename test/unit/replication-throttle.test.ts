// The leader's replication throttle: which replicas a topic's leader.replication.throttled.replicas
// names, and the rate counted over one-second windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplicationThrottle, throttledReplica } from '../../src/broker/replication-throttle.js';

test('throttled replicas: partition:broker pairs or *', () => {
  assert.equal(throttledReplica('0:1,1:2', 0, 1), true);
  assert.equal(throttledReplica('0:1,1:2', 1, 1), false);
  assert.equal(throttledReplica(' 1:2 ', 1, 2), true);
  assert.equal(throttledReplica('*', 7, 3), true);
  assert.equal(throttledReplica('', 0, 1), false);
  assert.equal(throttledReplica(undefined, 0, 1), false);
});

test('the rate: bytes per one-second window', () => {
  let now = 10_000;
  const t = new ReplicationThrottle(() => 1000, () => now);
  assert.equal(t.allows(), true);
  t.record(600);
  assert.equal(t.allows(), true);
  t.record(600);
  assert.equal(t.allows(), false, 'over the rate in this window');
  now += 999;
  assert.equal(t.allows(), false);
  now += 1;
  assert.equal(t.allows(), true, 'a new window');
});
