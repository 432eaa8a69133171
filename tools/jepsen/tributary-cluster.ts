/**
 * Three Tributary brokers coordinated by one etcd, on loopback, as a user starts them: etcd
 * (bin/etcd-server-start.sh's flags) and `node dist/tributary.mjs server-start
 * config/server.properties --override ...` per broker (node.id and broker.id N, its own listener
 * and log dir, etcd.connect with a chroot of this run, offsets.topic.replication.factor=3, the
 * session timeout). Node N's output goes to <dir>/node-N/broker.log. Ready when every running
 * broker's Metadata lists every running broker.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { alive, signal, waitExit, waitFor, type ClusterDriver } from './cluster.js';
import { brokersSeenBy, metadataController } from './cluster-info.js';
import { freePorts, spawnLogged } from './proc.js';

export interface TributaryClusterOptions {
  root: string;
  dir: string;
  sessionTimeoutMs: number;
  /** Extra --override key=value for every broker. */
  props?: Record<string, string>;
  readyTimeoutMs?: number;
}

export class TributaryCluster implements ClusterDriver {
  readonly kind = 'tributary' as const;
  readonly nodeIds = [1, 2, 3] as const;
  readonly sessionTimeoutMs: number;
  readonly dir: string;
  private ports: number[] = [];
  private etcdPort = 0;
  private etcd: ChildProcess | null = null;
  private readonly brokers = new Map<number, ChildProcess>();
  private readonly chroot = `/jepsen-${process.pid}-${Date.now()}`;

  constructor(private readonly opts: TributaryClusterOptions) {
    this.dir = opts.dir;
    this.sessionTimeoutMs = opts.sessionTimeoutMs;
  }

  bootstrap(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  address(node: number): string {
    return `127.0.0.1:${this.ports[node - 1]}`;
  }

  async start(): Promise<void> {
    const [etcdClient, etcdPeer, ...ports] = await freePorts(5);
    this.ports = ports;
    this.etcdPort = etcdClient!;
    await this.startEtcd(etcdPeer!);
    for (const n of this.nodeIds) this.launch(n);
    await this.waitReady();
  }

  async kill(node: number): Promise<void> {
    const child = this.brokers.get(node);
    if (!child?.pid) return;
    signal(child.pid, 'SIGCONT');
    signal(child.pid, 'SIGKILL');
    await waitExit(child.pid);
    this.brokers.delete(node);
  }

  pause(node: number): void {
    const pid = this.brokers.get(node)?.pid;
    if (pid) signal(pid, 'SIGSTOP');
  }

  resume(node: number): void {
    const pid = this.brokers.get(node)?.pid;
    if (pid) signal(pid, 'SIGCONT');
  }

  async restart(node: number): Promise<void> {
    if (this.isRunning(node)) await this.kill(node);
    this.launch(node);
    await this.waitReady();
  }

  isRunning(node: number): boolean {
    return alive(this.brokers.get(node)?.pid ?? null);
  }

  pid(node: number): number | null {
    const pid = this.brokers.get(node)?.pid;
    return pid !== undefined && alive(pid) ? pid : null;
  }

  listenPorts(node: number): number[] {
    return [this.ports[node - 1]!];
  }

  controllerId(): Promise<number | null> {
    return metadataController(this.bootstrap());
  }

  async stop(): Promise<void> {
    const pids = [...this.brokers.values()].map((c) => c.pid!).filter((p) => alive(p));
    for (const pid of pids) {
      signal(pid, 'SIGCONT');
      signal(pid, 'SIGTERM');
    }
    for (const pid of pids) {
      await waitExit(pid, 15_000).catch(() => {
        signal(pid, 'SIGKILL');
        return waitExit(pid);
      });
    }
    this.brokers.clear();
    if (this.etcd?.pid && alive(this.etcd.pid)) {
      signal(this.etcd.pid, 'SIGKILL');
      await waitExit(this.etcd.pid).catch(() => undefined);
    }
    this.etcd = null;
  }

  killAllSync(): void {
    for (const c of this.brokers.values()) if (c.pid) signal(c.pid, 'SIGKILL');
    if (this.etcd?.pid) signal(this.etcd.pid, 'SIGKILL');
  }

  topicConfigs(unsafe: boolean): Record<string, string> {
    return unsafe ? { 'min.insync.replicas': '1', 'unclean.leader.election.enable': 'true' } : { 'min.insync.replicas': '2' };
  }

  private async startEtcd(peerPort: number): Promise<void> {
    const dir = join(this.dir, 'etcd');
    mkdirSync(dir, { recursive: true });
    const peer = `http://127.0.0.1:${peerPort}`;
    const client = `http://127.0.0.1:${this.etcdPort}`;
    this.etcd = spawnLogged(
      process.env.ETCD_BIN ?? 'etcd',
      ['--name', 'jepsen', '--data-dir', join(dir, 'data'), '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `jepsen=${peer}`, '--log-level', 'warn'],
      join(dir, 'etcd.log'),
    );
    const etcd = this.etcd;
    await waitFor(
      async () => {
        if (etcd.exitCode !== null) throw new Error(`etcd exited (${etcd.exitCode}); see ${join(dir, 'etcd.log')}`);
        return fetch(`${client}/health`).then((r) => r.ok, () => false);
      },
      20_000,
      'etcd to be healthy',
      50,
    );
  }

  private launch(node: number): void {
    const dir = join(this.dir, `node-${node}`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    const listener = `PLAINTEXT://127.0.0.1:${this.ports[node - 1]}`;
    const overrides: Record<string, string> = {
      // config/server.properties says node.id=1, and a broker.id that differs from it is refused.
      'node.id': String(node),
      'broker.id': String(node),
      listeners: listener,
      'advertised.listeners': listener,
      'log.dirs': join(dir, 'data'),
      'etcd.connect': `127.0.0.1:${this.etcdPort}${this.chroot}`,
      'offsets.topic.replication.factor': '3',
      'zookeeper.session.timeout.ms': String(this.sessionTimeoutMs),
      ...this.opts.props,
    };
    const args = [join(this.opts.root, 'dist/tributary.mjs'), 'server-start', join(this.opts.root, 'config/server.properties'), ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])];
    const child = spawnLogged(process.execPath, args, join(dir, 'broker.log'), { ...process.env, TRIBUTARY_LOG_LEVEL: process.env.TRIBUTARY_LOG_LEVEL ?? 'info' });
    this.brokers.set(node, child);
  }

  /** Every running broker's Metadata lists every running broker. */
  private async waitReady(): Promise<void> {
    let last = '';
    await waitFor(
      async () => {
        const running = this.nodeIds.filter((n) => this.isRunning(n));
        const dead = this.nodeIds.filter((n) => this.brokers.has(n) && !this.isRunning(n));
        if (dead.length > 0) throw new Error(`broker ${dead.join(', ')} exited during startup; see ${join(this.dir, `node-${dead[0]}`, 'broker.log')}`);
        const seen = await Promise.all(running.map((n) => brokersSeenBy(this.address(n))));
        last = running.map((n, i) => `node ${n} lists [${seen[i]!.join(',')}]`).join('; ');
        return seen.every((s) => running.every((n) => s.includes(n)));
      },
      this.opts.readyTimeoutMs ?? 60_000,
      'every running broker to list every running broker',
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${last}`);
    });
  }
}
