// Client quotas of a cluster in etcd (cluster-security.ts etcdQuotaStorage), against a real etcd:
// what one broker saves reaches another's follower; a save writes only the entities that changed,
// so two brokers changing different entities at once keep both; an entity left without values is
// deleted; a store opened later starts with them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdClusterStore } from '../../src/broker/cluster/etcd-store.js';
import { etcdQuotaStorage } from '../../src/broker/cluster/cluster-security.js';
import type { StoredQuota } from '../../src/broker/cluster/security-keys.js';
import { parseConnectString } from '../../src/util/connect-string.js';
import { startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { eventually } from './helpers/brokers.js';

const ALICE: StoredQuota = { entity: [{ type: 'user', name: 'alice' }], values: { producer_byte_rate: 1048576 } };
const DEFAULT_CLIENT: StoredQuota = { entity: [{ type: 'client-id', name: null }, { type: 'user', name: 'alice' }], values: { consumer_byte_rate: 2048, request_percentage: 12.5 } };
const BOB: StoredQuota = { entity: [{ type: 'user', name: 'bob' }], values: { producer_byte_rate: 10 } };

const sorted = (qs: readonly StoredQuota[]): string[] => qs.map((q) => JSON.stringify(q)).sort();

describe('client quotas in etcd', () => {
  let etcd: EtcdProcess;
  const stores: EtcdClusterStore[] = [];
  const open = async (): Promise<EtcdClusterStore> => {
    const s = await EtcdClusterStore.open(parseConnectString(`${etcd.address}/quotas`), { sessionTimeoutMs: 5000 });
    stores.push(s);
    return s;
  };
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    for (const s of stores) await s.close();
    await etcd.stop();
  });

  test('saved through one store, followed by another; concurrent saves of different entities keep both; deletion', async () => {
    const a = etcdQuotaStorage(await open());
    const bStore = await open();
    const b = etcdQuotaStorage(bStore);
    let seenByB: readonly StoredQuota[] = b.initial();
    b.follow((qs) => (seenByB = qs));
    assert.deepEqual(seenByB, []);

    await a.save([ALICE, DEFAULT_CLIENT]);
    // The client's entity is stored in a canonical order (by type): the same entity is the same key.
    await eventually(() => sorted(seenByB).join() === sorted([ALICE, { ...DEFAULT_CLIENT, entity: [{ type: 'client-id', name: null }, { type: 'user', name: 'alice' }] }]).join(), 'broker B following both entities', 10_000);

    // A changes alice while B adds bob from what it has seen: neither loses the other's change.
    const alice2 = { ...ALICE, values: { producer_byte_rate: 2097152 } };
    await Promise.all([a.save([alice2, DEFAULT_CLIENT]), b.save([...seenByB, BOB])]);
    await eventually(() => sorted(seenByB).join() === sorted([alice2, DEFAULT_CLIENT, BOB]).join(), 'alice changed and bob added', 10_000);

    // An entity no longer in the set (or left without values) is deleted.
    await a.save([{ ...alice2, values: {} }, BOB]);
    await eventually(() => sorted(seenByB).join() === sorted([BOB]).join(), 'only bob left', 10_000);
    assert.deepEqual(sorted(etcdQuotaStorage(await open()).initial()), sorted([BOB]), 'a store opened later starts with them');
  });
});
