/**
 * ACLs and SCRAM credentials of a cluster, kept in etcd (key layout: security-keys.ts). A write
 * from any broker (CreateAcls, DeleteAcls, AlterUserScramCredentials) is one etcd transaction;
 * every broker applies it from its watch: the view holds the bindings and credentials, the
 * authorizer follows each `acls/` key as it changes, and the SCRAM store reads the view's
 * credentials directly. The broker that took the write answers once its own watch has applied
 * it, so a client sees its change on that broker at once and on the others as soon as their
 * watches deliver it (a broker started later reads it all at start-up).
 */
import type { AclAuthorizer } from '../acl/acl-authorizer.js';
import type { AclBinding } from '../acl/acl.js';
import type { AclStorage } from '../acl/acls.js';
import { storedCredential, type ScramWriter } from '../security/scram-store.js';
import type { EtcdClusterStore, WriteOp } from './etcd-store.js';
import { ACLS_PREFIX, QUOTAS_PREFIX, aclKey, encodeAcl, encodeQuota, encodeScram, quotaKey, scramKey, type StoredQuota } from './security-keys.js';

export function etcdAclStorage(store: EtcdClusterStore): AclStorage {
  return {
    initial: () => [...store.view.acls.values()],
    attach(authorizer: AclAuthorizer) {
      // What this authorizer holds per key, to take out the binding a deleted key held.
      const held = new Map(store.view.acls);
      store.subscribe(ACLS_PREFIX, (key) => {
        const before = held.get(key);
        const now = store.view.acls.get(key);
        if (before) authorizer.remove(before);
        if (now) {
          authorizer.add(now);
          held.set(key, now);
        } else {
          held.delete(key);
        }
      });
    },
    add: (_a, bindings: readonly AclBinding[]) => store.writeAndApply(bindings.map((b): WriteOp => ({ put: aclKey(b), value: encodeAcl(b) }))),
    remove: (_a, bindings: readonly AclBinding[]) => store.writeAndApply(bindings.map((b): WriteOp => ({ delete: aclKey(b) }))),
  };
}

export function etcdScramWriter(store: EtcdClusterStore): ScramWriter {
  return (deletions, upsertions) => {
    // Deletions first, as on a single node; one transaction may not touch a key twice, so an
    // upsertion of the same key replaces its deletion.
    const ops = new Map<string, WriteOp>();
    for (const d of deletions) ops.set(scramKey(d.user, d.mechanism), { delete: scramKey(d.user, d.mechanism) });
    for (const u of upsertions) ops.set(scramKey(u.user, u.mechanism), { put: scramKey(u.user, u.mechanism), value: encodeScram(storedCredential(u.credential)) });
    return store.writeAndApply([...ops.values()]);
  };
}

/**
 * Client quotas in etcd, one key per entity. The quota module hands `save` its whole set after
 * changing it in memory; only the entities that differ from etcd's (as this broker's view has
 * it) are written, so a concurrent change of another entity through another broker is kept.
 * `follow` gets the whole set again after every change the watch brings (its `replaceAll`).
 */
export function etcdQuotaStorage(store: EtcdClusterStore): {
  initial(): StoredQuota[];
  save(quotas: readonly StoredQuota[]): Promise<void>;
  follow(replaceAll: (quotas: readonly StoredQuota[]) => void): void;
} {
  return {
    initial: () => [...store.view.quotas.values()],
    save(quotas) {
      const next = new Map<string, string>();
      for (const q of quotas) if (Object.keys(q.values).length > 0) next.set(quotaKey(q.entity), encodeQuota(q));
      const ops: WriteOp[] = [];
      for (const [key, value] of next) {
        const before = store.view.quotas.get(key);
        if (!before || encodeQuota(before) !== value) ops.push({ put: key, value });
      }
      for (const key of store.view.quotas.keys()) if (!next.has(key)) ops.push({ delete: key });
      return store.writeAndApply(ops);
    },
    follow(replaceAll) {
      store.subscribe(QUOTAS_PREFIX, () => replaceAll([...store.view.quotas.values()]));
    },
  };
}
