/**
 * The reference: a three-node Apache Kafka KRaft cluster (combined mode), run by
 * scripts/kafka-ref-cluster.sh (start, kill, restart, stop; node N's pid in <dir>/node-N/kafka.pid).
 * Pauses are SIGSTOP/SIGCONT of that pid; the controller is the KRaft quorum leader (DescribeQuorum).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, signal, waitExit, type ClusterDriver } from './cluster.js';
import { kraftLeader } from './cluster-info.js';
import { freePorts, runCommand } from './proc.js';

export interface KafkaClusterOptions {
  root: string;
  dir: string;
  sessionTimeoutMs: number;
  /** Extra server.properties lines. */
  props?: Record<string, string>;
}

export class KafkaCluster implements ClusterDriver {
  readonly kind = 'kafka' as const;
  readonly nodeIds = [1, 2, 3] as const;
  readonly sessionTimeoutMs: number;
  readonly dir: string;
  private ports: number[] = [];
  private readonly script: string;

  constructor(private readonly opts: KafkaClusterOptions) {
    this.dir = opts.dir;
    this.sessionTimeoutMs = opts.sessionTimeoutMs;
    this.script = join(opts.root, 'scripts/kafka-ref-cluster.sh');
  }

  bootstrap(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  address(node: number): string {
    return `127.0.0.1:${this.ports[node - 1]}`;
  }

  async start(): Promise<void> {
    if (!existsSync(this.script)) throw new Error(`${this.script} is missing (it comes from the cluster-tools branch)`);
    this.ports = await freePorts(3);
    const props = {
      'broker.session.timeout.ms': String(this.sessionTimeoutMs),
      'broker.heartbeat.interval.ms': String(Math.max(500, Math.floor(this.sessionTimeoutMs / 4))),
      ...this.opts.props,
    };
    await this.script_('start', [this.dir, ...this.ports.map(String), ...Object.entries(props).map(([k, v]) => `${k}=${v}`)], 240_000);
  }

  async kill(node: number): Promise<void> {
    const pid = this.pid(node);
    if (pid !== null) signal(pid, 'SIGCONT');
    await this.script_('kill', [this.dir, String(node)], 60_000);
  }

  pause(node: number): void {
    const pid = this.pid(node);
    if (pid !== null) signal(pid, 'SIGSTOP');
  }

  resume(node: number): void {
    const pid = this.pid(node);
    if (pid !== null) signal(pid, 'SIGCONT');
  }

  async restart(node: number): Promise<void> {
    await this.script_('restart', [this.dir, String(node)], 200_000);
  }

  isRunning(node: number): boolean {
    return alive(this.pid(node));
  }

  controllerId(): Promise<number | null> {
    return kraftLeader(this.bootstrap());
  }

  async stop(): Promise<void> {
    for (const n of this.nodeIds) this.resume(n);
    const r = await runCommand(this.script, ['stop', this.dir], 60_000);
    if (r.code !== 0) this.killAllSync();
    for (const n of this.nodeIds) {
      const pid = this.pid(n);
      if (pid !== null) await waitExit(pid).catch(() => undefined);
    }
  }

  killAllSync(): void {
    for (const n of this.nodeIds) {
      const pid = this.pid(n);
      if (pid !== null) signal(pid, 'SIGKILL');
    }
  }

  topicConfigs(unsafe: boolean): Record<string, string> {
    return unsafe ? { 'min.insync.replicas': '1', 'unclean.leader.election.enable': 'true' } : { 'min.insync.replicas': '2' };
  }

  listenPorts(node: number): number[] {
    const env = readFileSync(join(this.dir, 'cluster.env'), 'utf8');
    const cport = Number(new RegExp(`^CPORT_${node}=(\\d+)$`, 'm').exec(env)?.[1] ?? 0);
    return [this.ports[node - 1]!, ...(cport > 0 ? [cport] : [])];
  }

  pid(node: number): number | null {
    try {
      const n = Number(readFileSync(join(this.dir, `node-${node}`, 'kafka.pid'), 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  }

  private async script_(cmd: string, args: string[], timeoutMs: number): Promise<void> {
    const r = await runCommand(this.script, [cmd, ...args], timeoutMs);
    if (r.code !== 0) throw new Error(`kafka-ref-cluster.sh ${cmd} ${args.slice(1).join(' ')} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.output.slice(-1500)}`);
  }
}
