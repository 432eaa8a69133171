/**
 * The two brokers of the side-by-side benchmark (compare.ts): Apache Kafka (KRaft, one combined
 * broker and controller, java -cp the Kafka jars) and Tributary (dist/tributary.mjs), each started
 * on free loopback ports with a PLAINTEXT and a SASL_SSL listener and the same settings, its
 * output in a log file under its directory. A broker counts as started at its first acknowledged
 * produce (firstAck, the startup figure); firstSecureLogin waits until the SCRAM user can log in
 * over SASL_SSL. RunningBroker is what the workloads get: addresses, /proc stats and stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '../src/client/connection.js';
import { randomKafkaUuid } from '../src/storage/meta-properties.js';
import { ApiKey } from '../src/protocol/messages/index.js';
import { saslSslBrokerConfig, SCRAM_MECHANISM, SCRAM_PASSWORD, SCRAM_USER } from './secure.js';
import { ensureTopic, procStats, produce, type ProcStats } from './lib.js';
import { certs, children, cp, flags, freePort, root, run, sleep } from './compare-common.js';

export type Kind = 'kafka' | 'tributary';

export interface RunningBroker {
  kind: Kind;
  pid: number;
  bootstrap: string;
  /** The SASL_SSL listener (SCRAM-SHA-512). */
  saslSslBootstrap: string;
  dir: string;
  /** ms from spawning the broker process to the first acknowledged produce. */
  startupMs: number;
  stats(): ProcStats | null;
  stop(): Promise<void>;
}

function spawnBroker(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function stopChild(child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls until a 1-record produce with acks=1 is acknowledged; returns the ms since `spawnedAt`. */
async function firstAck(bootstrap: string, child: ChildProcess, spawnedAt: number, logFile: string): Promise<number> {
  const deadline = performance.now() + 90_000;
  let lastErr = '';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`broker exited during startup (${child.exitCode ?? child.signalCode}); log: ${logFile}\n${tail(logFile)}`);
    }
    if (performance.now() > deadline) throw new Error(`no acknowledged produce after 90 s (${lastErr}); log: ${logFile}`);
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect(bootstrap, { clientId: 'bench-probe', connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 });
      const topic = await ensureTopic(conn, 'startup-probe', 1);
      await produce(conn, { topic: topic.name, partitions: 1, records: 1, recordSize: 10, batchBytes: 1024, acks: 1, compression: 'none', inFlight: 1 });
      return performance.now() - spawnedAt;
    } catch (err) {
      lastErr = (err as Error).message;
      await sleep(20);
    } finally {
      conn?.destroy();
    }
  }
}

/** Polls until a SASL_SSL login as the SCRAM user answers Metadata (Kafka applies the credential through its metadata log); the ms it took. */
export async function firstSecureLogin(b: RunningBroker): Promise<number> {
  const t = performance.now();
  const deadline = t + 30_000;
  for (;;) {
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect(b.saslSslBootstrap, {
        clientId: 'bench-login-probe',
        connectTimeoutMs: 5_000,
        requestTimeoutMs: 5_000,
        ssl: { ca: readFileSync(certs.caCrt, 'utf8') },
        sasl: { mechanism: SCRAM_MECHANISM, username: SCRAM_USER, password: SCRAM_PASSWORD },
      });
      await conn.send(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      return performance.now() - t;
    } catch (err) {
      if (performance.now() > deadline) throw new Error(`no SASL_SSL login within 30 s: ${(err as Error).message}`);
      await sleep(100);
    } finally {
      conn?.destroy();
    }
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function startKafka(dir: string): Promise<RunningBroker> {
  const port = await freePort();
  const cport = await freePort();
  const sport = await freePort();
  mkdirSync(join(dir, 'data'), { recursive: true });
  const props = join(dir, 'server.properties');
  // The settings scripts/kafka-ref.sh uses (the interop reference), Kafka's defaults otherwise:
  // log.segment.bytes 1 GiB, no flush policy (the page cache decides), 3 network and 8 I/O threads.
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${cport}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport},SASL_SSL://127.0.0.1:${sport}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port},SASL_SSL://127.0.0.1:${sport}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
      ...saslSslBrokerConfig(certs),
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      'default.replication.factor=1',
      'auto.create.topics.enable=true',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(
    log4j,
    [
      'status = warn',
      'appender.file.type = File',
      'appender.file.name = FILE',
      `appender.file.fileName = ${join(dir, 'server.log')}`,
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.file.ref = FILE',
      '',
    ].join('\n'),
  );
  // kafka-server-start.sh's JVM flags (KAFKA_HEAP_OPTS and KAFKA_JVM_PERFORMANCE_OPTS defaults).
  const jvm = [
    ...flags.kafkaHeap.split(' ').filter(Boolean),
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:MaxInlineLevel=15',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4j}`,
    `-Dkafka.logs.dir=${dir}`,
  ];
  // Never starting with '-', which the storage tool would take for an option.
  const clusterId = randomKafkaUuid();
  const fmt = await run('java', [...jvm, '-cp', cp, 'kafka.tools.StorageTool', 'format', '--ignore-formatted', '-t', clusterId, '-c', props], 60_000);
  if (fmt.code !== 0) throw new Error(`kafka-storage format failed: ${fmt.stdout}${fmt.stderr}`);
  const logFile = join(dir, 'kafka.out');
  const spawnedAt = performance.now();
  const child = spawnBroker('java', [...jvm, '-cp', cp, 'kafka.Kafka', props], logFile);
  const bootstrap = `127.0.0.1:${port}`;
  const startupMs = await firstAck(bootstrap, child, spawnedAt, logFile);
  return { kind: 'kafka', pid: child.pid!, bootstrap, saslSslBootstrap: `127.0.0.1:${sport}`, dir, startupMs, stats: () => procStats(child.pid!), stop: () => stopChild(child) };
}

export async function startTributary(dir: string, profileDir: string): Promise<RunningBroker> {
  const port = await freePort();
  const sport = await freePort();
  const listeners = `PLAINTEXT://127.0.0.1:${port},SASL_SSL://127.0.0.1:${sport}`;
  mkdirSync(join(dir, 'data'), { recursive: true });
  const logFile = join(dir, 'tributary.out');
  const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const args = [
    ...nodeFlags,
    join(root, 'dist/tributary.mjs'),
    'server-start',
    join(root, 'config/server.properties'),
    '--override',
    `listeners=${listeners}`,
    '--override',
    `advertised.listeners=${listeners}`,
    '--override',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
    '--override',
    `log.dirs=${join(dir, 'data')}`,
    ...saslSslBrokerConfig(certs).flatMap((kv) => ['--override', kv]),
  ];
  const spawnedAt = performance.now();
  const child = spawnBroker(process.execPath, args, logFile, { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' });
  const bootstrap = `127.0.0.1:${port}`;
  const startupMs = await firstAck(bootstrap, child, spawnedAt, logFile);
  return { kind: 'tributary', pid: child.pid!, bootstrap, saslSslBootstrap: `127.0.0.1:${sport}`, dir, startupMs, stats: () => procStats(child.pid!), stop: () => stopChild(child) };
}
