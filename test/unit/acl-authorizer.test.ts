// The ACL authorizer's decision rules, as Kafka's StandardAuthorizer makes them: super users,
// allow.everyone.if.no.acl.found (only when no ACL at all names the resource), DENY over ALLOW,
// implied operations, literal/wildcard/prefixed patterns, hosts, and the wildcard principal of the
// principal's own type; plus add/remove keeping the prefix index right, and filter matching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AclAuthorizer } from '../../src/broker/acl/acl-authorizer.js';
import { AclPermission, filterMatches, invalidBinding, PatternType, type AclBinding } from '../../src/broker/acl/acl.js';
import { AclOperation as O, AclResourceType as R } from '../../src/broker/authorization.js';

const acl = (p: Partial<AclBinding>): AclBinding => ({
  resourceType: R.TOPIC,
  resourceName: 't',
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: O.READ,
  permission: AclPermission.ALLOW,
  ...p,
});

test('super users and allow.everyone.if.no.acl.found', () => {
  const a = new AclAuthorizer({ superUsers: ['User:root'], allowEveryoneIfNoAclFound: true }, [acl({})]);
  assert.equal(a.authorize('User:root', O.DELETE, R.TOPIC, 't'), true);
  assert.equal(a.authorize('User:bob', O.READ, R.TOPIC, 'other'), true, 'no ACL on the resource: allowed by the flag');
  assert.equal(a.authorize('User:bob', O.READ, R.TOPIC, 't'), false, 'an ACL exists on t (for alice): bob is denied');
  const strict = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false });
  assert.equal(strict.authorize('User:bob', O.READ, R.TOPIC, 'other'), false);
});

test('implied operations: DESCRIBE by READ/WRITE/DELETE/ALTER, DESCRIBE_CONFIGS by ALTER_CONFIGS, everything by ALL', () => {
  for (const op of [O.READ, O.WRITE, O.DELETE, O.ALTER]) {
    const a = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [acl({ operation: op })]);
    assert.equal(a.authorize('User:alice', O.DESCRIBE, R.TOPIC, 't'), true, `DESCRIBE implied by ${op}`);
    assert.equal(a.authorize('User:alice', O.CREATE, R.TOPIC, 't'), false);
  }
  const c = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [acl({ operation: O.ALTER_CONFIGS })]);
  assert.equal(c.authorize('User:alice', O.DESCRIBE_CONFIGS, R.TOPIC, 't'), true);
  assert.equal(c.authorize('User:alice', O.DESCRIBE, R.TOPIC, 't'), false);
  const all = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [acl({ operation: O.ALL })]);
  assert.equal(all.authorize('User:alice', O.ALTER_CONFIGS, R.TOPIC, 't'), true);
  // A DENY of READ does not deny DESCRIBE; a DENY of ALL denies everything.
  const d = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [acl({ operation: O.ALL }), acl({ permission: AclPermission.DENY })]);
  assert.equal(d.authorize('User:alice', O.READ, R.TOPIC, 't'), false);
  assert.equal(d.authorize('User:alice', O.DESCRIBE, R.TOPIC, 't'), true);
  d.add(acl({ operation: O.ALL, permission: AclPermission.DENY, principal: 'User:*', host: '10.0.0.9' }));
  assert.equal(d.authorize('User:alice', O.DESCRIBE, R.TOPIC, 't', '10.0.0.9'), false, 'DENY on the host wins');
  assert.equal(d.authorize('User:alice', O.DESCRIBE, R.TOPIC, 't', '10.0.0.8'), true);
});

test('patterns: literal, the * wildcard, prefixes of any length; removal keeps the index right', () => {
  const a = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false });
  a.add(acl({ resourceName: 'ord', patternType: PatternType.PREFIXED }));
  a.add(acl({ resourceName: 'orders-eu-', patternType: PatternType.PREFIXED, operation: O.WRITE }));
  a.add(acl({ resourceName: '*', operation: O.CREATE, principal: 'User:*' }));
  assert.equal(a.authorize('User:alice', O.READ, R.TOPIC, 'orders'), true);
  assert.equal(a.authorize('User:alice', O.WRITE, R.TOPIC, 'orders-eu-1'), true);
  assert.equal(a.authorize('User:alice', O.WRITE, R.TOPIC, 'orders-us-1'), false);
  assert.equal(a.authorize('User:bob', O.CREATE, R.TOPIC, 'anything'), true);
  assert.equal(a.authorize('User:bob', O.CREATE, R.GROUP, 'anything'), false, 'patterns are per resource type');
  assert.equal(a.authorize('Group:ops', O.CREATE, R.TOPIC, 'anything'), false, 'User:* is not Group:*');
  assert.equal(a.remove(acl({ resourceName: 'ord', patternType: PatternType.PREFIXED })), true);
  assert.equal(a.remove(acl({ resourceName: 'ord', patternType: PatternType.PREFIXED })), false);
  assert.equal(a.authorize('User:alice', O.READ, R.TOPIC, 'orders'), false);
  assert.equal(a.size, 2);
  assert.equal(a.add(acl({ resourceName: '*', operation: O.CREATE, principal: 'User:*' })), false, 'duplicates are stored once');
});

test('authorizeByResourceType (InitProducerId, KIP-679)', () => {
  const a = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [acl({ resourceName: 'p-', patternType: PatternType.PREFIXED, operation: O.WRITE })]);
  assert.equal(a.authorizeByResourceType('User:alice', O.WRITE, R.TOPIC), true);
  assert.equal(a.authorizeByResourceType('User:bob', O.WRITE, R.TOPIC), false);
  a.add(acl({ resourceName: 'p', patternType: PatternType.PREFIXED, operation: O.WRITE, permission: AclPermission.DENY }));
  assert.equal(a.authorizeByResourceType('User:alice', O.WRITE, R.TOPIC), false, 'a DENY on a shorter prefix covers it');
});

test('filters and validation', () => {
  const b = acl({ resourceName: 'orders-', patternType: PatternType.PREFIXED });
  const f = { resourceType: 1, resourceName: 'orders-1', patternType: PatternType.MATCH, principal: null, host: null, operation: O.ANY, permission: AclPermission.ANY };
  assert.equal(filterMatches(f, b), true);
  assert.equal(filterMatches({ ...f, patternType: PatternType.LITERAL }, b), false);
  assert.equal(filterMatches({ ...f, patternType: PatternType.ANY, resourceName: 'orders-' }, b), true);
  assert.equal(invalidBinding(b), null);
  assert.match(invalidBinding({ ...b, principal: 'alice' })!, /Could not parse principal/);
  assert.match(invalidBinding({ ...b, resourceType: R.CLUSTER, resourceName: 'x' })!, /kafka-cluster/);
});
