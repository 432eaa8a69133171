/**
 * Group coordinator figures, against an embedded broker in a child process (or --bootstrap):
 *
 *  1. Rebalance after a graceful leave: a 10-member group is Stable; one member sends LeaveGroup;
 *     the time until the 9 others have heartbeated (REBALANCE_IN_PROGRESS), rejoined and synced
 *     into the next generation. Members react at once (no heartbeat interval), so this is the
 *     coordinator's share of a handover; a client adds up to its heartbeat.interval.ms.
 *  2. OffsetCommit throughput to one __consumer_offsets partition: one group (so one partition),
 *     one partition per commit, --connections connections with --in-flight requests each.
 *
 *   node dist/bench/group-rebalance.js [--rounds 30] [--members 10] [--seconds 5]
 *        [--connections 8] [--in-flight 16] [--bootstrap host:port] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '../src/client/connection.js';
import { ApiKey, type JoinGroupRequest } from '../src/protocol/messages/index.js';
import { ensureTopic, median, parseFlags, percentile, startChildBroker, type ChildBroker } from './lib.js';
import { ZERO_UUID } from '../src/protocol/primitives/index.js';

const flags = parseFlags(process.argv.slice(2), {
  rounds: 30,
  members: 10,
  seconds: 5,
  connections: 8,
  inFlight: 16,
  bootstrap: '',
  json: false,
});

const TOPIC = 'bench-group-topic';

function joinReq(groupId: string, memberId: string): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]) }],
    reason: null,
  };
}

interface Member {
  conn: Connection;
  id: string;
}

async function checked<T extends { errorCode: number }>(p: Promise<T>, what: string): Promise<T> {
  const r = await p;
  if (r.errorCode !== 0) throw new Error(`${what}: error ${r.errorCode}`);
  return r;
}

/** Every member (re)joins and syncs; returns the generation. */
async function joinAndSync(groupId: string, members: Member[]): Promise<number> {
  const joins = await Promise.all(
    members.map(async (m) => {
      let r = await m.conn.send(ApiKey.JoinGroup, joinReq(groupId, m.id));
      if (r.errorCode === 79) r = await m.conn.send(ApiKey.JoinGroup, joinReq(groupId, r.memberId));
      if (r.errorCode !== 0) throw new Error(`JoinGroup: error ${r.errorCode}`);
      m.id = r.memberId;
      return r;
    }),
  );
  const generation = joins[0]!.generationId;
  await Promise.all(
    members.map((m, i) =>
      checked(
        m.conn.send(ApiKey.SyncGroup, {
          groupId,
          generationId: generation,
          memberId: m.id,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocolName: 'range',
          assignments: joins[i]!.leader === m.id ? members.map((x) => ({ memberId: x.id, assignment: Buffer.from(`a-${x.id}`) })) : [],
        }),
        'SyncGroup',
      ),
    ),
  );
  return generation;
}

async function rebalanceBench(bootstrap: string): Promise<{ samples: number[] }> {
  const samples: number[] = [];
  for (let round = 0; round < flags.rounds; round++) {
    const groupId = `bench-rebalance-${round}`;
    const members: Member[] = [];
    for (let i = 0; i < flags.members; i++) members.push({ conn: await Connection.connect(bootstrap, { requestTimeoutMs: 60_000 }), id: '' });
    const gen = await joinAndSync(groupId, members);
    const leaving = members.pop()!;
    const t0 = performance.now();
    await checked(leaving.conn.send(ApiKey.LeaveGroup, { groupId, memberId: '', members: [{ memberId: leaving.id, groupInstanceId: null, reason: 'bench' }] }), 'LeaveGroup');
    await Promise.all(
      members.map(async (m) => {
        const hb = await m.conn.send(ApiKey.Heartbeat, { groupId, generationId: gen, memberId: m.id, groupInstanceId: null });
        if (hb.errorCode !== 27) throw new Error(`expected REBALANCE_IN_PROGRESS, got ${hb.errorCode}`);
      }),
    );
    const next = await joinAndSync(groupId, members);
    samples.push(performance.now() - t0);
    if (next !== gen + 1) throw new Error(`generation ${next}, expected ${gen + 1}`);
    for (const m of [...members, leaving]) await m.conn.close();
  }
  return { samples };
}

async function commitBench(bootstrap: string): Promise<{ commits: number; seconds: number; latencies: number[] }> {
  const conns = await Promise.all(Array.from({ length: flags.connections }, () => Connection.connect(bootstrap, { requestTimeoutMs: 60_000 })));
  await ensureTopic(conns[0]!, TOPIC, 1);
  const groupId = 'bench-commit-group';
  let commits = 0;
  let offset = 0n;
  const latencies: number[] = [];
  const end = performance.now() + flags.seconds * 1000;
  const worker = async (c: Connection): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      const r = await c.send(ApiKey.OffsetCommit, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [{ name: TOPIC, topicId: ZERO_UUID, partitions: [{ partitionIndex: 0, committedOffset: offset++, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
      });
      if (r.topics[0]!.partitions[0]!.errorCode !== 0) throw new Error(`OffsetCommit error ${r.topics[0]!.partitions[0]!.errorCode}`);
      latencies.push(performance.now() - t);
      commits++;
    }
  };
  const t0 = performance.now();
  await Promise.all(conns.flatMap((c) => Array.from({ length: flags.inFlight }, () => worker(c))));
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(conns.map((c) => c.close()));
  return { commits, seconds, latencies };
}

async function main(): Promise<void> {
  let broker: ChildBroker | null = null;
  let dir: string | null = null;
  let bootstrap = String(flags.bootstrap);
  if (!bootstrap) {
    dir = mkdtempSync(join(tmpdir(), 'tributary-bench-group-'));
    broker = await startChildBroker({ logDir: dir, config: { 'group.initial.rebalance.delay.ms': '100' } });
    bootstrap = broker.bootstrap;
  }
  try {
    const warm = await Connection.connect(bootstrap);
    await warm.send(ApiKey.FindCoordinator, { key: 'warmup', keyType: 0, coordinatorKeys: [] }, { version: 3 });
    await warm.close();
    const reb = await rebalanceBench(bootstrap);
    const sorted = [...reb.samples].sort((a, b) => a - b);
    const com = await commitBench(bootstrap);
    const lat = [...com.latencies].sort((a, b) => a - b);
    const result = {
      rebalance: { members: flags.members, rounds: flags.rounds, medianMs: median(sorted), p90Ms: percentile(sorted, 90), maxMs: sorted.at(-1) },
      commits: { perSecond: com.commits / com.seconds, commits: com.commits, inFlight: flags.connections * Number(flags.inFlight), medianLatencyMs: median(lat), p99LatencyMs: percentile(lat, 99) },
    };
    if (flags.json) console.log(JSON.stringify(result));
    else {
      console.log(`rebalance after 1 of ${flags.members} members leaves (leave -> 9 rejoined and synced), ${flags.rounds} rounds:`);
      console.log(`  median ${result.rebalance.medianMs.toFixed(2)} ms, p90 ${result.rebalance.p90Ms.toFixed(2)} ms, max ${result.rebalance.maxMs!.toFixed(2)} ms`);
      console.log(`OffsetCommit to one __consumer_offsets partition, ${result.commits.inFlight} in flight:`);
      console.log(`  ${Math.round(result.commits.perSecond)} commits/s (${result.commits.commits} in ${com.seconds.toFixed(1)} s), latency median ${result.commits.medianLatencyMs.toFixed(2)} ms, p99 ${result.commits.p99LatencyMs.toFixed(2)} ms`);
    }
  } finally {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
