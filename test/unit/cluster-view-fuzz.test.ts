// The cluster view reads values other processes wrote to etcd (peer brokers, an operator, a
// foreign tool): whatever a key holds, apply() never throws, counts what it cannot read, and
// keeps what it could read before. Fuzzed with fast-check over the layout's keys and random or
// near-valid values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClusterView, keys, encodeAssignment, encodeBroker, encodePartitionState, encodeReassignments } from '../../src/broker/cluster/view.js';
import { aclKey, encodeAcl, encodeQuota, encodeScram, quotaKey, scramKey } from '../../src/broker/cluster/security-keys.js';

const BINDING = { resourceType: 2, resourceName: 't', patternType: 3, principal: 'User:alice', host: '*', operation: 3, permission: 3 };

const key = fc.oneof(
  fc.constantFrom(keys.clusterId, keys.controller, keys.controllerEpoch, keys.reassignments, keys.producerIdBlock),
  fc.integer({ min: -2, max: 5 }).map((n) => keys.broker(n)),
  fc.constantFrom('t', 'a.b', '__consumer_offsets').map((t) => keys.topic(t)),
  fc.tuple(fc.constantFrom('t', 'x'), fc.integer({ min: 0, max: 3 })).map(([t, p]) => keys.partitionState(t, p)),
  fc.constantFrom('t', 'x').map((t) => keys.topicConfig(t)),
  fc.constantFrom('t', 'x').map((t) => keys.deleteTopic(t)),
  fc.constantFrom(aclKey(BINDING), 'acls/', 'acls/x'),
  fc.tuple(fc.constantFrom('alice', '__proto__', 'constructor', 'a/b'), fc.constantFrom('SCRAM-SHA-256', 'SCRAM-SHA-512') as fc.Arbitrary<'SCRAM-SHA-256' | 'SCRAM-SHA-512'>).map(([u, m]) => scramKey(u, m)),
  fc.constantFrom('scram/', 'scram/SCRAM-SHA-1/alice', 'scram/SCRAM-SHA-256/'),
  fc.constantFrom(quotaKey([{ type: 'user', name: 'alice' }]), 'quotas/', 'quotas/x'),
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
  fc.constant(encodeAcl(BINDING)),
  fc.constant(JSON.stringify({ ...JSON.parse(encodeAcl(BINDING)) as object, operation: 'READ' })),
  fc.constant(encodeQuota({ entity: [{ type: 'user', name: null }], values: { producer_byte_rate: 1024 } })),
  fc.constant(JSON.stringify({ version: 1, entity: [{ type: 'user', name: 7 }], values: { producer_byte_rate: 'x' } })),
  fc.constant(encodeScram({ salt: 'c2FsdA==', storedKey: 'AA==', serverKey: 'AA==', iterations: 4096 })),
  fc.constant(encodeBroker({ host: 'h', port: 1, rack: null, endpoints: [{ name: 'INTERNAL', host: '::1', port: 2 }] })),
  fc.constant(JSON.stringify({ host: 'h', port: 1, endpoints: ['nonsense', 7, 'A://h:x', 'B://[::1]:9'] })),
);

test('ClusterView.apply never throws on any key and value', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(key, value), { maxLength: 40 }), (changes) => {
      const v = new ClusterView();
      for (const [k, val] of changes) v.apply(k, val, 7n);
      for (const s of v.partitions.values()) assert.ok(Number.isInteger(s.leader) && Array.isArray(s.isr));
      for (const t of v.topics.values()) assert.ok(t.replicas.every((r) => Array.isArray(r)));
      for (const b of v.acls.values()) assert.equal(typeof b.principal, 'string');
      for (const q of v.quotas.values()) assert.ok(q.entity.length > 0 && Object.values(q.values).every((n) => Number.isFinite(n)));
      for (const [user, creds] of Object.entries(v.scramCredentials)) assert.ok(user !== '' && Object.values(creds).every((c) => Number.isInteger(c!.iterations)));
      assert.equal(Object.getPrototypeOf(v.scramCredentials), null, 'a user named __proto__ is a user, not a prototype');
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

test('ACL bindings and SCRAM credentials come and go with their keys; odd user names stay plain keys', () => {
  const v = new ClusterView();
  v.apply(aclKey(BINDING), encodeAcl(BINDING));
  assert.deepEqual([...v.acls.values()], [BINDING]);
  v.apply(aclKey(BINDING), null);
  assert.equal(v.acls.size, 0);
  // A value CreateAcls would refuse (operation 99) is no binding: counted, not applied.
  v.apply('acls/foreign', encodeAcl({ ...BINDING, operation: 99 }));
  assert.equal(v.acls.size, 0);
  assert.equal(v.unreadable, 1);
  const cred = { salt: 'c2FsdA==', storedKey: 'AA==', serverKey: 'AQ==', iterations: 4096 };
  for (const user of ['__proto__', 'a/b']) v.apply(scramKey(user, 'SCRAM-SHA-512'), encodeScram(cred));
  assert.deepEqual(Object.keys(v.scramCredentials).sort(), ['__proto__', 'a/b']);
  assert.deepEqual(v.scramCredentials['a/b'], { 'SCRAM-SHA-512': cred });
  v.apply(scramKey('a/b', 'SCRAM-SHA-512'), null);
  assert.deepEqual(Object.keys(v.scramCredentials), ['__proto__']);
});
