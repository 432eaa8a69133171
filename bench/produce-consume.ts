/**
 * `npm run bench`: produce N records to one partition and consume them back, with the Node
 * client's Connection. By default against an embedded Tributary broker in a child process (its
 * peak RSS, VmHWM, and CPU time come from /proc); with --bootstrap against any broker (Apache
 * Kafka included; pass --pid to also read that broker's /proc figures).
 *
 *   npm run bench -- [--records 1000000] [--size 100] [--batch 16384] [--acks 1]
 *                    [--compression none|gzip|snappy|lz4|zstd] [--in-flight 5] [--partitions 1]
 *                    [--bootstrap host:port] [--pid <broker pid>] [--topic name] [--decode]
 *                    [--cpu-prof <dir>] [--json] [--skip-consume] [--skip-produce]
 *
 * --e2e <n> measures end-to-end latency instead (n round trips of one record: produce acks=1,
 * then wait for a long-poll fetch to return it), as Kafka's EndToEndLatency does.
 * --skip-produce reads --records records of an existing --topic from offset 0 (to profile the
 * fetch path alone).
 *
 * Prints a small table (or with --json, one JSON object) and exits non-zero when the counts
 * consumed differ from those produced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '../src/client/connection.js';
import { consume, endToEndLatency, ensureTopic, mb, parseFlags, procStats, produce, startChildBroker, type ChildBroker, type ProcStats } from './lib.js';

const flags = parseFlags(process.argv.slice(2), {
  records: 1_000_000,
  size: 100,
  batch: 16_384,
  acks: 1,
  compression: 'none',
  inFlight: 5,
  partitions: 1,
  bootstrap: '',
  pid: 0,
  topic: '',
  decode: false,
  cpuProf: '',
  json: false,
  skipConsume: false,
  skipProduce: false,
  e2e: 0,
  fetchBytes: 1_048_576,
});

const log = (s: string): void => {
  if (!flags.json) console.log(s);
};

let child: ChildBroker | null = null;
let dataDir: string | null = null;
let exitCode = 0;
try {
  let bootstrap = flags.bootstrap;
  let brokerPid = flags.pid;
  if (!bootstrap) {
    dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
    const execArgv = flags.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${flags.cpuProf}`] : [];
    child = await startChildBroker({ logDir: dataDir, execArgv });
    bootstrap = child.bootstrap;
    brokerPid = child.pid;
    log(`embedded Tributary broker pid ${child.pid} on ${bootstrap} (started in ${child.startMs.toFixed(0)} ms), data in ${dataDir}`);
  }
  const stats = (): ProcStats | null => (brokerPid ? procStats(brokerPid) : null);

  const conn = await Connection.connect(bootstrap, { clientId: 'tributary-bench', requestTimeoutMs: 60_000 });
  const topicName = flags.topic || `bench-${Date.now().toString(36)}`;
  const topic = await ensureTopic(conn, topicName, flags.partitions);
  if (flags.skipProduce && !flags.topic) throw new Error('--skip-produce needs --topic');
  log(`topic ${topic.name} (${topic.partitions} partition(s)); produce v${conn.versionFor(0)}, fetch v${conn.versionFor(1)}`);

  if (flags.e2e > 0) {
    const e0 = stats();
    const cc = await Connection.connect(bootstrap, { clientId: 'tributary-bench-e2e-consumer' });
    const e = await endToEndLatency(conn, cc, topic, flags.e2e, flags.size);
    const e1 = stats();
    cc.destroy();
    log(`end-to-end latency over ${e.records} round trips: avg ${e.avgMs.toFixed(2)} p50 ${e.p50Ms.toFixed(2)} p99 ${e.p99Ms.toFixed(2)} p99.9 ${e.p999Ms.toFixed(2)} ms`);
    if (e0 && e1) log(`broker: peak RSS ${mb(e1.peakRss)} MB; CPU ${((e1.cpuMs - e0.cpuMs) / 1000).toFixed(2)} s (${((e1.cpuMs - e0.cpuMs) * 1000 / e.records).toFixed(0)} us per round trip)`);
    if (flags.json) console.log(JSON.stringify({ flags, bootstrap, e2e: e }));
    await conn.close();
    throw null; // done: skip the throughput phases (the finally block stops the broker)
  }
  if (!flags.skipProduce) log(`producing ${flags.records} records of ${flags.size} B, batches of ~${flags.batch} B, acks=${flags.acks}, compression=${flags.compression}, ${flags.inFlight} in flight`);
  const s0 = stats();
  const p = flags.skipProduce
    ? { records: flags.records, firstOffset: 0, recordsPerSec: 0, mbPerSec: 0, ms: 0, bytes: 0, requests: 0, latency: { avg: 0, p50: 0, p99: 0, max: 0 } }
    : await produce(conn, {
    topic: topic.name,
    partitions: topic.partitions,
    records: flags.records,
    recordSize: flags.size,
    batchBytes: flags.batch,
    acks: flags.acks,
    compression: flags.compression,
    inFlight: flags.inFlight,
  });
  const s1 = stats();
  if (!flags.skipProduce) log(
    `produce: ${p.records} records in ${(p.ms / 1000).toFixed(2)} s = ${p.recordsPerSec.toFixed(0)} records/s, ${p.mbPerSec.toFixed(1)} MB/s; ` +
      `${p.requests} requests, ack latency avg ${p.latency.avg.toFixed(2)} p50 ${p.latency.p50.toFixed(2)} p99 ${p.latency.p99.toFixed(2)} max ${p.latency.max.toFixed(2)} ms`,
  );

  let c = null;
  let s2 = s1;
  if (!flags.skipConsume) {
    // A separate connection, as a consumer would have.
    const cconn = await Connection.connect(bootstrap, { clientId: 'tributary-bench-consumer', requestTimeoutMs: 60_000 });
    c = await consume(cconn, {
      topic,
      fromOffset: p.firstOffset,
      records: p.records,
      partitionMaxBytes: flags.fetchBytes,
      maxBytes: 52_428_800,
      decode: flags.decode,
      idleTimeoutMs: 15_000,
      recordSize: flags.size,
    });
    s2 = stats();
    await cconn.close();
    log(
      `consume: ${c.records} records in ${(c.ms / 1000).toFixed(2)} s = ${c.recordsPerSec.toFixed(0)} records/s, ${c.mbPerSec.toFixed(1)} MB/s ` +
        `(${mb(c.wireBytes)} MB of batches in ${c.fetches} fetches${flags.decode ? ', records decoded' : ''})`,
    );
    if (c.records !== p.records) {
      console.error(`MISMATCH: produced ${p.records}, consumed ${c.records}`);
      exitCode = 1;
    }
  }
  await conn.close();

  const broker =
    s0 && s1 && s2
      ? {
          pid: brokerPid,
          peakRssBytes: s2.peakRss,
          produceCpuMs: s1.cpuMs - s0.cpuMs,
          consumeCpuMs: s2.cpuMs - s1.cpuMs,
        }
      : null;
  if (broker) {
    log(
      `broker: peak RSS (VmHWM) ${mb(broker.peakRssBytes)} MB; CPU ${(broker.produceCpuMs / 1000).toFixed(2)} s during produce, ` +
        `${(broker.consumeCpuMs / 1000).toFixed(2)} s during consume`,
    );
  }
  const client = process.cpuUsage();
  log(`load generator CPU: ${((client.user + client.system) / 1e6).toFixed(2)} s`);
  if (flags.json) {
    console.log(JSON.stringify({ flags, bootstrap, produce: p, consume: c, broker, clientCpuMs: (client.user + client.system) / 1000 }));
  }
} catch (err) {
  if (err === null) {
    // --e2e finished
  } else {
  console.error(`bench failed: ${(err as Error).stack ?? err}`);
  exitCode = 1;
  }
} finally {
  if (child) {
    await child.stop();
    if (flags.cpuProf) log(`CPU profile of the broker written to ${flags.cpuProf}`);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
