// AlterClientQuotas / DescribeClientQuotas on a broker (Kafka's checks, error codes and filter
// rules), their ACLs (cluster ALTER_CONFIGS / DESCRIBE_CONFIGS), persistence across a restart,
// and throttle_time_ms in Produce and Fetch responses once a quota is exceeded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, AdminError, type Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { batch, connect, createTopic, fetchRequest, produceRequest, startBroker, type TestBroker } from './helpers/broker-client.js';

const E = ErrorCode;
type Entity = Array<{ entityType: string; entityName: string | null }>;
const alterEntry = (entity: Entity, ops: Array<{ key: string; value?: number; remove?: boolean }>) => ({
  entity,
  ops: ops.map((o) => ({ key: o.key, value: o.value ?? 0, remove: o.remove === true })),
});

describe('client quota APIs', () => {
  let tb: TestBroker;
  let conn: Connection;
  before(async () => {
    tb = await startBroker();
    conn = await connect(tb);
  });
  after(async () => {
    conn.close();
    await tb.close();
  });

  const alter = async (entries: ReturnType<typeof alterEntry>[], validateOnly = false, version?: number) =>
    (await conn.send(ApiKey.AlterClientQuotas, { entries, validateOnly }, version === undefined ? {} : { version })).entries;
  const describeAll = async (components: Array<{ entityType: string; matchType: number; match: string | null }> = [], strict = false, version?: number) =>
    conn.send(ApiKey.DescribeClientQuotas, { components, strict }, version === undefined ? {} : { version });

  test('sets, describes and removes quotas on users, client ids, both and defaults (v0 and v1)', async () => {
    for (const version of [0, 1]) {
      const res = await alter(
        [
          alterEntry([{ entityType: 'user', entityName: 'alice' }], [{ key: 'producer_byte_rate', value: 1024 }, { key: 'request_percentage', value: 12.5 }]),
          alterEntry([{ entityType: 'client-id', entityName: null }], [{ key: 'consumer_byte_rate', value: 2048 }]),
          alterEntry([{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: 'app' }], [{ key: 'producer_byte_rate', value: 512 }]),
          alterEntry([{ entityType: 'user', entityName: null }, { entityType: 'client-id', entityName: null }], [{ key: 'producer_byte_rate', value: 4096 }]),
        ],
        false,
        version,
      );
      assert.deepEqual(res.map((r) => [r.errorCode, r.errorMessage]), [[0, null], [0, null], [0, null], [0, null]]);
      const d = await describeAll([], false, version);
      assert.equal(d.errorCode, E.NONE);
      const shown = d.entries!.map((e) => [e.entity.map((x) => `${x.entityType}=${x.entityName}`).join(','), e.values.map((v) => `${v.key}=${v.value}`).sort().join(',')]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
      assert.deepEqual(shown, [
        ['client-id=null', 'consumer_byte_rate=2048'],
        ['user=alice', 'producer_byte_rate=1024,request_percentage=12.5'],
        ['user=alice,client-id=app', 'producer_byte_rate=512'],
        ['user=null,client-id=null', 'producer_byte_rate=4096'],
      ]);
    }
    // Filters: exact, default, specified; strict excludes entities with other types.
    const users = (await describeAll([{ entityType: 'user', matchType: 0, match: 'alice' }])).entries!;
    assert.equal(users.length, 2);
    const strictUsers = (await describeAll([{ entityType: 'user', matchType: 0, match: 'alice' }], true)).entries!;
    assert.deepEqual(strictUsers.map((e) => e.entity), [[{ entityType: 'user', entityName: 'alice' }]]);
    const defaults = (await describeAll([{ entityType: 'client-id', matchType: 1, match: null }])).entries!;
    assert.equal(defaults.length, 2);
    const anyClient = (await describeAll([{ entityType: 'client-id', matchType: 2, match: null }], true)).entries!;
    assert.deepEqual(anyClient.map((e) => e.entity), [[{ entityType: 'client-id', entityName: null }]]);
    assert.equal((await describeAll([], true)).entries!.length, 0);

    // Removal; removing what is not set is no error.
    const rm = await alter([
      alterEntry([{ entityType: 'user', entityName: 'alice' }], [{ key: 'request_percentage', remove: true }, { key: 'consumer_byte_rate', remove: true }]),
      alterEntry([{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: 'app' }], [{ key: 'producer_byte_rate', remove: true }]),
    ]);
    assert.deepEqual(rm.map((r) => r.errorCode), [0, 0]);
    const after1 = (await describeAll([{ entityType: 'user', matchType: 0, match: 'alice' }])).entries!;
    assert.deepEqual(after1.map((e) => e.values), [[{ key: 'producer_byte_rate', value: 1024 }]]);
  });

  test('validate_only checks and changes nothing', async () => {
    const res = await alter([alterEntry([{ entityType: 'user', entityName: 'val' }], [{ key: 'producer_byte_rate', value: 10 }])], true);
    assert.equal(res[0]!.errorCode, E.NONE);
    assert.equal((await describeAll([{ entityType: 'user', matchType: 0, match: 'val' }])).entries!.length, 0);
    const bad = await alter([alterEntry([{ entityType: 'user', entityName: 'val' }], [{ key: 'nope', value: 10 }])], true);
    assert.equal(bad[0]!.errorCode, E.INVALID_REQUEST);
  });

  test("bad entities, keys and values get INVALID_REQUEST with Kafka's messages; good entries still apply", async () => {
    const u = (name: string): Entity => [{ entityType: 'user', entityName: name }];
    const res = await alter([
      alterEntry([], [{ key: 'producer_byte_rate', value: 1 }]),
      alterEntry([{ entityType: 'group', entityName: 'g' }], [{ key: 'producer_byte_rate', value: 1 }]),
      alterEntry(u(''), [{ key: 'producer_byte_rate', value: 1 }]),
      alterEntry(u('k'), [{ key: 'connection_creation_rate', value: 1 }]),
      alterEntry(u('z'), [{ key: 'producer_byte_rate', value: 0 }]),
      alterEntry(u('f'), [{ key: 'producer_byte_rate', value: 1.5 }]),
      alterEntry(u('d'), [{ key: 'producer_byte_rate', value: 1 }, { key: 'producer_byte_rate', value: 2 }]),
      alterEntry([{ entityType: 'ip', entityName: '10.0.0.1' }, { entityType: 'user', entityName: 'x' }], [{ key: 'connection_creation_rate', value: 1 }]),
      alterEntry([{ entityType: 'ip', entityName: '10.0.0.1' }], [{ key: 'connection_creation_rate', value: 5 }]),
      alterEntry(u('ok'), [{ key: 'request_percentage', value: 0.5 }]),
    ]);
    assert.deepEqual(
      res.map((r) => [r.errorCode, r.errorMessage]),
      [
        [E.INVALID_REQUEST, 'Invalid empty client quota entity'],
        [E.INVALID_REQUEST, 'Unhandled client quota entity type: group'],
        [E.INVALID_REQUEST, 'Empty user not supported'],
        [E.INVALID_REQUEST, 'Invalid configuration key connection_creation_rate'],
        [E.INVALID_REQUEST, 'Quota producer_byte_rate must be greater than 0'],
        [E.INVALID_REQUEST, 'producer_byte_rate cannot be a fractional value.'],
        [E.INVALID_REQUEST, 'Ignoring duplicate entity ClientQuotaEntity(entries={user=d})'],
        [E.INVALID_REQUEST, 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId'],
        [E.NONE, null],
        [E.NONE, null],
      ],
    );
    const ok = (await describeAll([{ entityType: 'user', matchType: 0, match: 'ok' }])).entries!;
    assert.deepEqual(ok[0]!.values, [{ key: 'request_percentage', value: 0.5 }]);
    const ip = (await describeAll([{ entityType: 'ip', matchType: 2, match: null }])).entries!;
    assert.deepEqual(ip[0]!.values, [{ key: 'connection_creation_rate', value: 5 }]);
  });

  test('bad describe filters fail the whole request', async () => {
    const cases: Array<[Array<{ entityType: string; matchType: number; match: string | null }>, number, string]> = [
      [[{ entityType: '', matchType: 2, match: null }], E.INVALID_REQUEST, 'Invalid empty entity type.'],
      [[{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 1, match: null }], E.INVALID_REQUEST, 'Entity type user cannot appear more than once in the filter.'],
      [[{ entityType: 'group', matchType: 2, match: null }], E.UNSUPPORTED_VERSION, 'Unsupported entity type group'],
      [[{ entityType: 'user', matchType: 0, match: null }], E.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.'],
      [[{ entityType: 'user', matchType: 1, match: 'a' }], E.INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.'],
      [[{ entityType: 'user', matchType: 2, match: 'a' }], E.INVALID_REQUEST, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.'],
      [[{ entityType: 'user', matchType: 7, match: null }], E.INVALID_REQUEST, 'Unknown match type 7'],
      [[{ entityType: 'ip', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }], E.INVALID_REQUEST, 'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.'],
    ];
    for (const [components, code, message] of cases) {
      const r = await describeAll(components);
      assert.deepEqual([r.errorCode, r.errorMessage, r.entries], [code, message, null], message);
    }
  });

  test('the Admin client: alterClientQuotas / describeClientQuotas, AdminError on a bad entity', async () => {
    const admin = await Admin.connect({ bootstrap: tb.broker.bootstrap });
    try {
      await admin.alterClientQuotas([{ entity: { user: 'adm', 'client-id': null }, ops: [{ key: 'consumer_byte_rate', value: 999 }] }]);
      const got = await admin.describeClientQuotas({ components: [{ entityType: 'user', match: 'exact', name: 'adm' }] });
      assert.deepEqual(got, [{ entity: { user: 'adm', 'client-id': null }, values: { consumer_byte_rate: 999 } }]);
      await assert.rejects(admin.alterClientQuotas([{ entity: { user: 'adm' }, ops: [{ key: 'bogus', value: 1 }] }]), (err: unknown) => {
        assert.ok(err instanceof AdminError);
        assert.equal(err.failures[0]!.error.errorName, 'INVALID_REQUEST');
        return true;
      });
    } finally {
      await admin.close();
    }
  });

  test('random alterations and filters are all answered (no crash, no closed connection), and stay consistent', async () => {
    let seed = 0x9e3779b9;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
    const types = ['user', 'client-id', 'ip', '', 'group', 'USER'];
    const names = [null, '', 'a', 'b', '10.0.0.1', 'x'.repeat(300), '\u0000', 'é'];
    const keys = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate', 'connection_creation_rate', '', 'bogus'];
    const values = [1, 0, -1, 1.5, 1e300, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 63, 12.5, 1024];
    for (let round = 0; round < 200; round++) {
      const entries = Array.from({ length: rnd(4) }, () =>
        alterEntry(
          Array.from({ length: rnd(4) }, () => ({ entityType: pick(types), entityName: pick(names) })),
          Array.from({ length: rnd(4) }, () => ({ key: pick(keys), value: pick(values), remove: rnd(3) === 0 })),
        ),
      );
      const res = await alter(entries, rnd(2) === 0);
      assert.ok(res.length <= entries.length);
      const d = await describeAll(
        Array.from({ length: rnd(3) }, () => ({ entityType: pick(types), matchType: rnd(4), match: pick(names) })),
        rnd(2) === 0,
      );
      assert.ok(d.errorCode !== E.NONE || Array.isArray(d.entries));
    }
    // Whatever was stored is valid: every value above 0 and finite-or-Kafka-accepted, every key allowed for its entity.
    const all = (await describeAll()).entries!;
    for (const e of all) {
      const isIp = e.entity.some((x) => x.entityType === 'ip');
      for (const v of e.values) {
        assert.ok(v.value > 0, JSON.stringify(e));
        assert.ok(isIp ? v.key === 'connection_creation_rate' : ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate'].includes(v.key), JSON.stringify(e));
      }
    }
  });

  test('quotas survive a restart', async () => {
    await alter([alterEntry([{ entityType: 'client-id', entityName: 'persisted' }], [{ key: 'producer_byte_rate', value: 777 }, { key: 'request_percentage', value: Infinity }])]);
    conn.close();
    await tb.restart();
    conn = await connect(tb);
    const d = (await describeAll([{ entityType: 'client-id', matchType: 0, match: 'persisted' }])).entries!;
    assert.deepEqual(d[0]!.values.sort((a, b) => (a.key < b.key ? -1 : 1)), [
      { key: 'producer_byte_rate', value: 777 },
      { key: 'request_percentage', value: Infinity },
    ]);
  });
});

describe('client quota ACLs', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker(
      {
        listeners: 'ADMIN://127.0.0.1:0,USER://127.0.0.1:0',
        'listener.security.protocol.map': 'ADMIN:PLAINTEXT,USER:PLAINTEXT',
        'inter.broker.listener.name': 'ADMIN',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:admin',
      },
      { principalBuilder: (c) => (c.listenerName === 'ADMIN' ? 'User:admin' : 'User:alice') },
    );
  });
  after(async () => tb.close());

  test('AlterClientQuotas needs cluster ALTER_CONFIGS, DescribeClientQuotas cluster DESCRIBE_CONFIGS', async () => {
    const port = tb.broker.listeners.find((l) => l.name === 'USER')!.port;
    const adminPort = tb.broker.listeners.find((l) => l.name === 'ADMIN')!.port;
    const { Connection } = await import('../../src/client/index.js');
    const alice = await Connection.connect({ host: '127.0.0.1', port });
    const admin = await Connection.connect({ host: '127.0.0.1', port: adminPort });
    try {
      const entry = alterEntry([{ entityType: 'user', entityName: 'alice' }], [{ key: 'producer_byte_rate', value: 100 }]);
      const denied = await alice.send(ApiKey.AlterClientQuotas, { entries: [entry], validateOnly: false });
      assert.deepEqual(denied.entries.map((e) => [e.errorCode, e.entity]), [[E.CLUSTER_AUTHORIZATION_FAILED, [{ entityType: 'user', entityName: 'alice' }]]]);
      const d = await alice.send(ApiKey.DescribeClientQuotas, { components: [], strict: false });
      assert.deepEqual([d.errorCode, d.entries], [E.CLUSTER_AUTHORIZATION_FAILED, null]);
      const grant = async (operation: number) =>
        admin.send(ApiKey.CreateAcls, {
          creations: [{ resourceType: 4, resourceName: 'kafka-cluster', resourcePatternType: 3, principal: 'User:alice', host: '*', operation, permissionType: 3 }],
        });
      await grant(10); // DESCRIBE_CONFIGS
      const ok = await alice.send(ApiKey.DescribeClientQuotas, { components: [], strict: false });
      assert.deepEqual([ok.errorCode, ok.entries], [E.NONE, []]);
      assert.equal((await alice.send(ApiKey.AlterClientQuotas, { entries: [entry], validateOnly: false })).entries[0]!.errorCode, E.CLUSTER_AUTHORIZATION_FAILED);
      await grant(11); // ALTER_CONFIGS
      assert.equal((await alice.send(ApiKey.AlterClientQuotas, { entries: [entry], validateOnly: false })).entries[0]!.errorCode, E.NONE);
      const ok2 = await alice.send(ApiKey.DescribeClientQuotas, { components: [], strict: false });
      assert.equal(ok2.entries!.length, 1);
    } finally {
      alice.close();
      admin.close();
    }
  });
});

describe('throttle_time_ms', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker({ 'quota.window.num': '2', 'quota.window.size.seconds': '1' });
  });
  after(async () => tb.close());

  test('a produce over producer_byte_rate is answered with a throttle time; an unlimited client gets 0', async () => {
    const setup = await connect(tb);
    await createTopic(setup, 'q');
    await setup.send(ApiKey.AlterClientQuotas, {
      entries: [alterEntry([{ entityType: 'client-id', entityName: 'slow' }], [{ key: 'producer_byte_rate', value: 10_000 }, { key: 'consumer_byte_rate', value: 10_000 }])],
      validateOnly: false,
    });
    const slow = await connect(tb, { clientId: 'slow' });
    const fast = await connect(tb, { clientId: 'fast' });
    try {
      const big = batch([{ value: Buffer.alloc(30_000, 1) }]);
      // 30 KB against 10 KB/s over (2 - 1) windows of 1 s: about 2 s of throttle.
      const r = await slow.send(ApiKey.Produce, produceRequest('q', 0, big), { version: 9 });
      assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, E.NONE);
      assert.ok(r.throttleTimeMs >= 1500 && r.throttleTimeMs <= 2100, `throttle ${r.throttleTimeMs}`);
      const f = await fast.send(ApiKey.Produce, produceRequest('q', 0, big), { version: 9 });
      assert.equal(f.throttleTimeMs, 0);
      // The throttled connection is muted: its next request is answered only after the throttle.
      const t0 = performance.now();
      await slow.send(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false, includeClusterAuthorizedOperations: false }, { version: 9 });
      assert.ok(performance.now() - t0 >= r.throttleTimeMs - 50, `answered after ${performance.now() - t0} ms`);
      // A fetch over consumer_byte_rate (30 KB against 10 KB in the one-window burst) returns
      // nothing but the throttle time; the unlimited client reads.
      const fr = await slow.send(ApiKey.Fetch, fetchRequest({ topic: 'q', offset: 0 }), { version: 11 });
      assert.ok(fr.throttleTimeMs > 0);
      assert.deepEqual([fr.errorCode, fr.responses], [E.NONE, []]);
      const ff = await fast.send(ApiKey.Fetch, fetchRequest({ topic: 'q', offset: 0 }), { version: 11 });
      assert.equal(ff.throttleTimeMs, 0);
      assert.ok(ff.responses[0]!.partitions[0]!.records!.length > 60_000);
    } finally {
      slow.close();
      fast.close();
      setup.close();
    }
  });

  test('request_percentage throttles any API (throttle_time_ms of Metadata), at most one window', async () => {
    const setup = await connect(tb);
    await setup.send(ApiKey.AlterClientQuotas, {
      entries: [alterEntry([{ entityType: 'user', entityName: 'ANONYMOUS' }, { entityType: 'client-id', entityName: 'busy' }], [{ key: 'request_percentage', value: 0.01 }])],
      validateOnly: false,
    });
    const busy = await connect(tb, { clientId: 'busy' });
    const other = await connect(tb, { clientId: 'idle' });
    try {
      const md = { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false, includeClusterAuthorizedOperations: false };
      // 0.01% of a second over one window is 0.1 ms of broker time: a few requests exceed it.
      let throttle = 0;
      for (let i = 0; i < 200 && throttle === 0; i++) throttle = (await busy.send(ApiKey.Metadata, md, { version: 9 })).throttleTimeMs;
      assert.ok(throttle > 0 && throttle <= 1000, `throttle ${throttle}`);
      assert.equal((await other.send(ApiKey.Metadata, md, { version: 9 })).throttleTimeMs, 0);
    } finally {
      busy.close();
      other.close();
      setup.close();
    }
  });
});
