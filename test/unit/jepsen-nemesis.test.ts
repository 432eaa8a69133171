// The Jepsen nemesis (tools/jepsen/nemesis.ts) against a fake cluster driver: faults one at a
// time, each undone before the next (killed nodes restarted, paused ones resumed), the controller
// killed when asked, everything healed at the end; the seeded generator repeats itself; and the
// isolate fault's reading of `ss` finds a broker's ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterDriver } from '../../tools/jepsen/cluster.js';
import { Nemesis, seededRandom, type Fault } from '../../tools/jepsen/nemesis.js';
import { localPortsOf } from '../../tools/jepsen/partition.js';

class FakeCluster implements ClusterDriver {
  readonly kind = 'tributary' as const;
  readonly nodeIds = [1, 2, 3] as const;
  readonly sessionTimeoutMs = 10;
  readonly dir = '/nonexistent';
  readonly calls: string[] = [];
  readonly down = new Set<number>();
  readonly stopped = new Set<number>();
  /** Most nodes down or paused at once. */
  worst = 0;
  bootstrap(): string {
    return '127.0.0.1:1';
  }
  address(n: number): string {
    return `127.0.0.1:${n}`;
  }
  async start(): Promise<void> {}
  private track(): void {
    this.worst = Math.max(this.worst, this.down.size + this.stopped.size);
  }
  async kill(n: number): Promise<void> {
    this.calls.push(`kill ${n}`);
    this.down.add(n);
    this.track();
  }
  pause(n: number): void {
    this.calls.push(`pause ${n}`);
    this.stopped.add(n);
    this.track();
  }
  resume(n: number): void {
    this.calls.push(`resume ${n}`);
    this.stopped.delete(n);
  }
  async restart(n: number): Promise<void> {
    this.calls.push(`restart ${n}`);
    this.down.delete(n);
  }
  isRunning(n: number): boolean {
    return !this.down.has(n);
  }
  pid(): number | null {
    return null;
  }
  listenPorts(): number[] {
    return [];
  }
  async controllerId(): Promise<number | null> {
    return 2;
  }
  async stop(): Promise<void> {}
  killAllSync(): void {}
  topicConfigs(): Record<string, string> {
    return {};
  }
}

async function schedule(seed: number, faults: readonly Fault[]): Promise<{ cluster: FakeCluster; nemesis: Nemesis }> {
  const cluster = new FakeCluster();
  const nemesis = new Nemesis(cluster, { topic: 't', partitions: 3, faults, quietMs: [5, 10], downMs: [5, 10], pauseMarginMs: 5, random: seededRandom(seed) });
  await nemesis.run(Date.now() + 400);
  await nemesis.heal();
  return { cluster, nemesis };
}

test('seededRandom: the same seed gives the same numbers in [0, 1)', () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const xs = Array.from({ length: 100 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs, Array.from({ length: 100 }, seededRandom(8)));
});

test('nemesis: one fault at a time, each undone; the controller is the one killed; all healed at the end', async () => {
  const { cluster, nemesis } = await schedule(42, ['kill-controller', 'pause']);
  assert.ok(cluster.calls.length >= 4, cluster.calls.join(', '));
  assert.equal(cluster.worst, 1, 'never two nodes down or paused at once');
  assert.deepEqual([...cluster.down, ...cluster.stopped], [], 'healed');
  for (const c of cluster.calls.filter((x) => x.startsWith('kill'))) assert.equal(c, 'kill 2');
  // Every kill is followed by its restart, every pause by its resume, before anything else.
  for (let i = 0; i < cluster.calls.length; i++) {
    const [op, n] = cluster.calls[i]!.split(' ');
    if (op === 'kill') assert.equal(cluster.calls[i + 1], `restart ${n}`);
    if (op === 'pause') assert.equal(cluster.calls[i + 1], `resume ${n}`);
  }
  assert.deepEqual(nemesis.events.map((e) => e.op).filter((op) => op === 'kill-controller' || op === 'pause').length, cluster.calls.filter((c) => /^(kill|pause)/.test(c)).length);
});

test('nemesis: isolate without a partitioner is an error event, not a crash', async () => {
  const { cluster, nemesis } = await schedule(1, ['isolate']);
  assert.deepEqual(cluster.calls, []);
  assert.ok(nemesis.events.length > 0 && nemesis.events.every((e) => e.op === 'error' && /cannot isolate/.test(e.detail)));
});

test('localPortsOf: the local ports of one process in `ss -tanpH` output, listening or connected, v4 or v6', () => {
  const ss = [
    'LISTEN 0      50        127.0.0.1:40977        0.0.0.0:*     users:(("java",pid=1234,fd=140))',
    'ESTAB  0      0         127.0.0.1:52114      127.0.0.1:36733 users:(("java",pid=1234,fd=201))',
    'ESTAB  0      0         127.0.0.1:36733      127.0.0.1:52114 users:(("java",pid=5678,fd=90))',
    'ESTAB  0      0   [::ffff:127.0.0.1]:45000 [::ffff:127.0.0.1]:2379 users:(("node",pid=999,fd=3),("java",pid=1234,fd=7))',
    'TIME-WAIT 0   0         127.0.0.1:33333      127.0.0.1:40977',
    'ESTAB  0      0         127.0.0.1:41111      127.0.0.1:40977 users:(("java",pid=12345,fd=9))',
  ].join('\n');
  assert.deepEqual(localPortsOf(ss, 1234), [40977, 45000, 52114]);
  assert.deepEqual(localPortsOf(ss, 5678), [36733]);
  assert.deepEqual(localPortsOf(ss, 42), []);
});
