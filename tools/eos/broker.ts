/**
 * The single broker of the exactly-once test, as a process that can be kill -9'd and restarted on
 * the same data directory and port: Tributary (node dist/tributary.mjs server-start), or Apache
 * Kafka 4.3.1 in KRaft combined mode through scripts/kafka-ref.sh (the reference run).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '../../src/client/connection.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { alive, signal, waitExit, waitFor } from '../jepsen/cluster.js';
import { freePorts, runCommand, spawnLogged } from '../jepsen/proc.js';

export type EosBrokerKind = 'tributary' | 'kafka';

export interface EosBroker {
  readonly kind: EosBrokerKind;
  readonly dir: string;
  bootstrap(): string;
  /** Starts it (the first time or after a kill) and resolves once it answers Metadata. */
  start(): Promise<void>;
  /** SIGKILL, and wait until the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
  isRunning(): boolean;
  pid(): number | null;
  killAllSync(): void;
}

/** Extra broker settings both brokers run with. */
export const BROKER_PROPS: Record<string, string> = {
  'num.partitions': '3',
  'group.initial.rebalance.delay.ms': '0',
  // Abort the transactions of killed pipelines soon after their timeout (10 s), not 10 s later.
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': '2000',
};

/** Resolves once the broker answers Metadata and lists itself. */
export async function waitReady(bootstrap: string, ms: number): Promise<void> {
  await waitFor(
    async () => {
      let conn: Connection | undefined;
      try {
        conn = await Connection.connect(bootstrap, { clientId: 'eos-probe', connectTimeoutMs: 1_000, requestTimeoutMs: 3_000 });
        const md = await conn.send(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        return md.brokers.length > 0;
      } catch {
        return false;
      } finally {
        conn?.destroy();
      }
    },
    ms,
    `the broker at ${bootstrap} to answer`,
    100,
  );
}

export class TributaryProcess implements EosBroker {
  readonly kind = 'tributary' as const;
  private port = 0;
  private child: ChildProcess | null = null;

  constructor(
    private readonly root: string,
    readonly dir: string,
  ) {}

  bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) [this.port] = await freePorts(1);
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    const overrides = {
      listeners: `PLAINTEXT://127.0.0.1:${this.port}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${this.port}`,
      'log.dirs': join(this.dir, 'data'),
      ...BROKER_PROPS,
    };
    const args = [join(this.root, 'dist/tributary.mjs'), 'server-start', join(this.root, 'config/server.properties')];
    for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
    const child = spawnLogged(process.execPath, args, join(this.dir, 'broker.log'), { ...process.env, TRIBUTARY_LOG_LEVEL: 'info' });
    this.child = child;
    const exited = new Promise<void>((_, reject) => child.once('exit', (code, sig) => reject(new Error(`tributary exited during startup (${code ?? sig}); log ${join(this.dir, 'broker.log')}`))));
    exited.catch(() => undefined);
    await Promise.race([waitReady(this.bootstrap(), 60_000), exited]);
  }

  async kill9(): Promise<void> {
    const pid = this.pid();
    if (pid === null) return;
    signal(pid, 'SIGKILL');
    await waitExit(pid);
    this.child = null;
  }

  async stop(): Promise<void> {
    const pid = this.pid();
    if (pid === null) return;
    signal(pid, 'SIGTERM');
    await waitExit(pid, 20_000).catch(async () => {
      signal(pid, 'SIGKILL');
      await waitExit(pid);
    });
    this.child = null;
  }

  isRunning(): boolean {
    return alive(this.pid());
  }

  pid(): number | null {
    const c = this.child;
    return c && c.exitCode === null && c.signalCode === null && c.pid !== undefined ? c.pid : null;
  }

  killAllSync(): void {
    const pid = this.pid();
    if (pid !== null) signal(pid, 'SIGKILL');
  }
}

export class KafkaProcess implements EosBroker {
  readonly kind = 'kafka' as const;
  private port = 0;
  private readonly script: string;

  constructor(
    root: string,
    readonly dir: string,
  ) {
    this.script = join(root, 'scripts/kafka-ref.sh');
  }

  bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) [this.port] = await freePorts(1);
    const props = Object.entries(BROKER_PROPS).map(([k, v]) => `${k}=${v}`);
    const r = await runCommand(this.script, ['start', this.dir, String(this.port), ...props], 150_000, { ...process.env, KAFKA_REF_TIMEOUT: '120' });
    if (r.code !== 0) throw new Error(`kafka-ref.sh start failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.output.trim().split('\n').slice(-5).join(' | ')}`);
    await waitReady(this.bootstrap(), 60_000);
  }

  async kill9(): Promise<void> {
    const pid = this.pid();
    if (pid === null) return;
    signal(pid, 'SIGKILL');
    await waitExit(pid, 20_000);
  }

  async stop(): Promise<void> {
    await runCommand(this.script, ['stop', this.dir], 60_000);
  }

  isRunning(): boolean {
    return alive(this.pid());
  }

  pid(): number | null {
    try {
      const pid = Number(readFileSync(join(this.dir, 'kafka.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  killAllSync(): void {
    const pid = this.pid();
    if (pid !== null) signal(pid, 'SIGKILL');
  }
}
