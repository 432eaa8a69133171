// The cluster view reads values other processes wrote to etcd (peer brokers, an operator, a
// foreign tool): whatever a key holds, apply() never throws, counts what it cannot read, and
// keeps what it could read before. Fuzzed with fast-check over the layout's keys and random or
// near-valid values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClusterView, keys, encodeAssignment, encodePartitionState, encodeReassignments } from '../../src/broker/cluster/view.js';

const key = fc.oneof(
  fc.constantFrom(keys.clusterId, keys.controller, keys.controllerEpoch, keys.reassignments, keys.producerIdBlock),
  fc.integer({ min: -2, max: 5 }).map((n) => keys.broker(n)),
  fc.constantFrom('t', 'a.b', '__consumer_offsets').map((t) => keys.topic(t)),
  fc.tuple(fc.constantFrom('t', 'x'), fc.integer({ min: 0, max: 3 })).map(([t, p]) => keys.partitionState(t, p)),
  fc.constantFrom('t', 'x').map((t) => keys.topicConfig(t)),
  fc.constantFrom('t', 'x').map((t) => keys.deleteTopic(t)),
  fc.string(),
);

const value = fc.oneof(
  fc.constant(null),
  fc.string(),
  fc.json(),
  fc.constant(encodeAssignment('00000000-0000-4000-8000-000000000001', [[1, 2], [2, 3]])),
  fc.constant(encodePartitionState({ leader: 1, leaderEpoch: 2, isr: [1, 2], controllerEpoch: 1, partitionEpoch: 3 })),
  fc.constant(encodeReassignments([{ topic: 't', partition: 0, target: [3], original: [1] }])),
  fc.constant(JSON.stringify({ host: 'h', port: 1 })),
  fc.constant(JSON.stringify({ brokerid: 2 })),
  fc.constant(JSON.stringify({ partitions: { '0': 'x' }, topic_id: 'y' })),
);

test('ClusterView.apply never throws on any key and value', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(key, value), { maxLength: 40 }), (changes) => {
      const v = new ClusterView();
      for (const [k, val] of changes) v.apply(k, val, 7n);
      for (const s of v.partitions.values()) assert.ok(Number.isInteger(s.leader) && Array.isArray(s.isr));
      for (const t of v.topics.values()) assert.ok(t.replicas.every((r) => Array.isArray(r)));
    }),
    { numRuns: 2000 },
  );
});

test('an unreadable value is counted and leaves the last readable one in place', () => {
  const v = new ClusterView();
  const state = { leader: 1, leaderEpoch: 2, isr: [1, 2], controllerEpoch: 1, partitionEpoch: 3 };
  v.apply(keys.partitionState('t', 0), encodePartitionState(state));
  v.apply(keys.partitionState('t', 0), '{"leader": "one"}');
  assert.equal(v.unreadable, 1);
  assert.deepEqual(v.partition('t', 0), state);
});
