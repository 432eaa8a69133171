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
import { ACLS_PREFIX, aclKey, encodeAcl, encodeScram, scramKey } from './security-keys.js';

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
