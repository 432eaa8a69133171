/**
 * The cluster's coordination store on etcd (leases, transactions with compares, watches): no
 * consensus of our own. One EtcdClusterStore per broker:
 *
 *  - `open` reads every key under the chroot into a ClusterView, then watches the prefix from the
 *    next revision, so the view follows every change in etcd's order (`onChange` is told of each).
 *  - `registerBroker` puts brokers/ids/<id> on this broker's session lease (TTL
 *    `sessionTimeoutMs`, kept alive by the client). The key exists only while the broker is alive
 *    and connected; its create revision is the broker epoch. A second live broker with the same
 *    id is refused (NODE_EXISTS, as Kafka's ZooKeeper registration was).
 *  - `campaign` makes this broker the controller when there is none: one transaction creates
 *    `controller` on the session lease and bumps `controller_epoch`. A controller whose lease is
 *    lost (a long pause, a partition from etcd) loses the key, and another broker is elected
 *    with a higher epoch.
 *  - `controllerWrite` is how a controller changes cluster state: one transaction that applies
 *    only while `controller_epoch` still holds its epoch (and any extra compares, e.g. a
 *    partition state's mod revision). A zombie controller can write nothing (Kafka's controller
 *    epoch fencing).
 */
import type { Etcd3, Lease, Namespace, Watcher } from 'etcd3';
import { ClusterView, keys, encodeBroker, decodeIncarnation, type BrokerRegistration } from './view.js';
import type { ConnectString } from '../../util/connect-string.js';

export interface ClusterStoreOptions {
  /** The session: how long the broker's keys outlive it (Kafka's zookeeper.session.timeout.ms). */
  sessionTimeoutMs: number;
  /** Called after every change the watch delivered (the view already holds it). */
  onChange?: (key: string) => void;
  /** A subscriber (subscribe) threw while applying `key`: reported, and the watch goes on. */
  onSubscriberError?: (err: unknown, key: string) => void;
  /** The session lease was lost: registration and controllership are gone. */
  onSessionLost?: (err: Error) => void;
}

/** One compare of a controller write: the key's mod revision must be this (0: the key must not exist). */
export interface RevisionCheck {
  key: string;
  modRevision: bigint;
}

export type WriteOp = { put: string; value: string } | { delete: string };

export class EtcdClusterStore {
  readonly view = new ClusterView();
  /** key -> mod revision, for compares. */
  private readonly revisions = new Map<string, bigint>();
  private watcher: Watcher | null = null;
  /** The highest revision the watch has applied to the view (the initial read's, then every event's). */
  private appliedRevision = 0n;
  private readonly revisionWaiters = new Set<{ revision: bigint; resolve: () => void }>();
  private readonly subscribers = new Set<{ prefix: string; fn: (key: string) => void }>();
  private lease: Lease | null = null;
  private closed = false;
  /** The epoch this broker holds the controller with, null when it does not. */
  controllerEpoch: number | null = null;

  private constructor(
    private readonly client: Etcd3,
    private readonly ns: Namespace,
    private readonly opts: ClusterStoreOptions,
  ) {}

  /** Connects, reads the whole cluster state and starts watching it. */
  static async open(spec: ConnectString, opts: ClusterStoreOptions): Promise<EtcdClusterStore> {
    // Loaded only in cluster mode: a single broker never pays for gRPC.
    const { Etcd3 } = await import('etcd3');
    const client = new Etcd3({ hosts: spec.endpoints, dialTimeout: 5000 });
    const store = new EtcdClusterStore(client, client.namespace(spec.prefix), opts);
    try {
      await store.load();
    } catch (err) {
      client.close();
      throw new Error(`cannot read the cluster state from etcd at ${spec.endpoints.join(',')} (etcd.connect / zookeeper.connect): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return store;
  }

  private async load(): Promise<void> {
    const res = await this.ns.getAll().exec();
    for (const kv of res.kvs) this.applyKv(kv.key.toString(), kv.value.toString(), BigInt(String(kv.create_revision)), BigInt(String(kv.mod_revision)));
    this.appliedRevision = BigInt(String(res.header.revision));
    const next = (this.appliedRevision + 1n).toString();
    const watcher = await this.ns.watch().prefix('').startRevision(next).create();
    watcher.on('put', (kv) => {
      const key = kv.key.toString();
      this.applyKv(key, kv.value.toString(), BigInt(String(kv.create_revision)), BigInt(String(kv.mod_revision)));
      this.changed(key, BigInt(String(kv.mod_revision)));
    });
    watcher.on('delete', (kv) => {
      const key = kv.key.toString();
      this.applyKv(key, null, 0n, 0n);
      // A deletion's event carries the deleting revision as its mod revision.
      this.changed(key, BigInt(String(kv.mod_revision)));
    });
    this.watcher = watcher;
  }

  private applyKv(key: string, value: string | null, createRevision: bigint, modRevision: bigint): void {
    if (value === null) this.revisions.delete(key);
    else this.revisions.set(key, modRevision);
    if (key === keys.controller && value === null) this.controllerEpoch = null;
    this.view.apply(key, value, createRevision);
  }

  private changed(key: string, revision: bigint): void {
    for (const s of this.subscribers) {
      if (!key.startsWith(s.prefix)) continue;
      // A throw here would reach the etcd client's event emitter, which rethrows it uncaught.
      try {
        s.fn(key);
      } catch (err) {
        this.opts.onSubscriberError?.(err, key);
      }
    }
    this.opts.onChange?.(key);
    if (revision > this.appliedRevision) {
      this.appliedRevision = revision;
      for (const w of this.revisionWaiters) {
        if (w.revision > revision) continue;
        this.revisionWaiters.delete(w);
        w.resolve();
      }
    }
  }

  /**
   * Calls `fn` with every key under `prefix` the watch changes, after the view has it (before
   * `onChange`). What was there before subscribing is in the view already.
   */
  subscribe(prefix: string, fn: (key: string) => void): () => void {
    const s = { prefix, fn };
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  /** Resolves once the watch has applied `revision` to the view (so a write is visible here too). */
  applied(revision: bigint, timeoutMs = 15_000): Promise<void> {
    if (revision <= this.appliedRevision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.revisionWaiters.delete(w);
        reject(new Error(`the etcd watch did not deliver revision ${revision} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.revisionWaiters.add(w);
    });
  }

  /**
   * Writes `ops` in one transaction (no compare: each key is one item, see security-keys.ts) and
   * resolves once this broker's watch has applied it, so the broker that answered a write acts
   * on it at once; every other broker applies it when its own watch delivers it.
   */
  async writeAndApply(ops: readonly WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    const res = await this.ns.if(keys.clusterId, 'Version', '>', -1).then(...ops.map((op) => ('put' in op ? this.ns.put(op.put).value(op.value) : this.ns.delete().key(op.delete)))).commit();
    await this.applied(BigInt(String(res.header.revision)));
  }

  /** The mod revision of a key as last seen (0n: absent), for a write's compare. */
  revision(key: string): bigint {
    return this.revisions.get(key) ?? 0n;
  }

  /** The cluster id, created by the first broker of a new cluster. */
  async clusterId(fresh: () => string): Promise<string> {
    const id = fresh();
    const res = await this.ns.if(keys.clusterId, 'Create', '==', 0).then(this.ns.put(keys.clusterId).value(id)).else(this.ns.get(keys.clusterId)).commit();
    if (res.succeeded) return id;
    const kv = res.responses[0]?.response_range?.kvs?.[0];
    if (!kv) throw new Error('cluster/id vanished while read');
    return kv.value.toString();
  }

  private async session(): Promise<Lease> {
    if (this.lease && !this.lease.revoked()) return this.lease;
    const lease = this.ns.lease(Math.max(1, Math.ceil(this.opts.sessionTimeoutMs / 1000)), { autoKeepAlive: true });
    lease.on('lost', (err) => {
      if (this.lease === lease) this.lease = null;
      this.controllerEpoch = null;
      if (!this.closed) this.opts.onSessionLost?.(err);
    });
    await lease.grant();
    this.lease = lease;
    return lease;
  }

  /**
   * Registers this broker; its epoch is the key's create revision. A registration left by this
   * broker's previous run (same `incarnation`: the log dir's directory.id, as KRaft tells a
   * restarted broker from a second one) is replaced at once rather than waited out; one by any
   * other live broker with this id is refused (NODE_EXISTS, as Kafka's ZooKeeper registration).
   */
  async registerBroker(b: Omit<BrokerRegistration, 'epoch'>, incarnation = '', protocols: ReadonlyMap<string, string> = new Map()): Promise<bigint> {
    const lease = await this.session();
    const key = keys.broker(b.id);
    const value = encodeBroker(b, incarnation, protocols);
    const res = await this.ns.if(key, 'Create', '==', 0).then(lease.put(key).value(value)).else(this.ns.get(key)).commit();
    if (res.succeeded) return BigInt(String(res.header.revision));
    const kv = res.responses[0]?.response_range?.kvs?.[0];
    const previous = kv ? decodeIncarnation(kv.value.toString()) : null;
    if (kv && incarnation !== '' && previous === incarnation) {
      // Deleted first and made again (one transaction may not touch a key twice), so the new
      // registration has a new create revision: a new broker epoch.
      await this.ns.if(key, 'Mod', '==', String(kv.mod_revision)).then(this.ns.delete().key(key)).commit();
      const again = await this.ns.if(key, 'Create', '==', 0).then(lease.put(key).value(value)).commit();
      if (again.succeeded) return BigInt(String(again.header.revision));
    }
    throw new Error(`broker id ${b.id} is already registered by a live broker (NODE_EXISTS)`);
  }

  /** Becomes the controller if there is none; the new controller epoch, or null when another broker is. */
  async campaign(brokerId: number): Promise<number | null> {
    const lease = await this.session();
    const epochKey = keys.controllerEpoch;
    const current = await this.ns.get(epochKey).exec();
    const kv = current.kvs[0];
    const epoch = (kv ? Number(kv.value.toString()) || 0 : 0) + 1;
    const seen = kv ? String(kv.mod_revision) : '0';
    const res = await this.ns
      .if(keys.controller, 'Create', '==', 0)
      .and(epochKey, 'Mod', '==', seen)
      .then(lease.put(keys.controller).value(JSON.stringify({ version: 2, brokerid: brokerId, timestamp: String(Date.now()), kraftControllerEpoch: -1 })), this.ns.put(epochKey).value(String(epoch)))
      .commit();
    if (!res.succeeded) return null;
    this.controllerEpoch = epoch;
    return epoch;
  }

  /** Gives up the controllership (controlled shutdown): the key goes, another broker is elected. */
  async resign(): Promise<void> {
    if (this.controllerEpoch === null) return;
    const epoch = this.controllerEpoch;
    this.controllerEpoch = null;
    await this.ns.if(keys.controllerEpoch, 'Value', '==', String(epoch)).then(this.ns.delete().key(keys.controller)).commit();
  }

  /**
   * A controller's write: applies `ops` atomically only while `controller_epoch` is `epoch` and
   * every check's key has the mod revision given. False when fenced or when a check failed.
   */
  async controllerWrite(epoch: number, ops: readonly WriteOp[], checks: readonly RevisionCheck[] = []): Promise<boolean> {
    let txn = this.ns.if(keys.controllerEpoch, 'Value', '==', String(epoch));
    for (const c of checks) txn = txn.and(c.key, 'Mod', '==', c.modRevision.toString());
    const res = await txn.then(...ops.map((op) => ('put' in op ? this.ns.put(op.put).value(op.value) : this.ns.delete().key(op.delete)))).commit();
    return res.succeeded;
  }

  /**
   * An admin write any broker may make (a new topic, added partitions, config overrides, a
   * deletion marker): applied atomically only while every check's key has the mod revision given
   * (0: absent). The controller then acts on it.
   */
  async adminWrite(ops: readonly WriteOp[], checks: readonly RevisionCheck[] = []): Promise<boolean> {
    // A compare that always holds (a missing key's version is 0), so a write without checks is one transaction too.
    let txn = this.ns.if(keys.clusterId, 'Version', '>', -1);
    for (const c of checks) txn = txn.and(c.key, 'Mod', '==', c.modRevision.toString());
    const res = await txn.then(...ops.map((op) => ('put' in op ? this.ns.put(op.put).value(op.value) : this.ns.delete().key(op.delete)))).commit();
    return res.succeeded;
  }

  /** A write any broker may make when the key is absent (a new topic's assignment: the controller then elects its leaders). */
  async createIfAbsent(key: string, value: string): Promise<boolean> {
    const res = await this.ns.if(key, 'Create', '==', 0).then(this.ns.put(key).value(value)).commit();
    return res.succeeded;
  }

  /**
   * Claims the next block of `size` producer ids from the cluster-wide counter
   * (`latest_producer_id_block`, as Kafka's ZooKeeper-era key): a compare-and-swap on the key's
   * revision, retried when another broker claimed meanwhile, so no two blocks overlap.
   */
  async claimProducerIdBlock(brokerId: number, size: number): Promise<{ start: number; end: number }> {
    const key = keys.producerIdBlock;
    for (;;) {
      const res = await this.ns.get(key).exec();
      const kv = res.kvs[0];
      let start = 0;
      if (kv) {
        const end = Number((JSON.parse(kv.value.toString()) as { block_end?: unknown }).block_end);
        if (!Number.isSafeInteger(end) || end < 0) throw new Error(`${key} holds no block end: ${kv.value.toString()}`);
        start = end + 1;
      }
      const value = JSON.stringify({ version: 1, broker: brokerId, block_start: String(start), block_end: String(start + size - 1) });
      const txn = kv ? this.ns.if(key, 'Mod', '==', String(kv.mod_revision)) : this.ns.if(key, 'Create', '==', 0);
      const done = await txn.then(this.ns.put(key).value(value)).commit();
      if (done.succeeded) return { start, end: start + size };
    }
  }

  /** Stops watching, revokes the session (registration and controllership go at once) and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.watcher?.cancel().catch(() => undefined);
    if (this.lease && !this.lease.revoked()) await this.lease.revoke().catch(() => undefined);
    this.client.close();
  }
}
