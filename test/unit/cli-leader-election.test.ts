// kafka-leader-election against a scripted three-broker cluster (helpers/fake-cluster.ts): the
// three ways to name partitions, Kafka's output lines and exit codes, and its flag and file
// checks. test/interop/test_cluster_tools.py runs the same tool against Apache Kafka 4.3.1.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaderElectionCommand } from '../../src/cli/leader-election.js';
import { startFakeCluster, type FakeCluster } from './helpers/fake-cluster.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await leaderElectionCommand(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('kafka-leader-election', () => {
  let fc: FakeCluster;
  let B: string[];
  let dir: string;
  before(async () => {
    fc = await startFakeCluster();
    B = ['--bootstrap-server', fc.bootstrap];
    dir = mkdtempSync(join(tmpdir(), 'tributary-election-'));
  });
  after(async () => {
    await fc.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fc.state.topics.clear();
    for (const b of fc.state.brokers) b.alive = true;
    const t = fc.addTopic('t', [[1, 2], [2, 3], [3, 1]]);
    t.partitions[0]!.leader = 2; // preferred is 1
    t.partitions[2]!.leader = 1; // preferred is 3
  });

  test('--all-topic-partitions moves leadership back to the preferred replicas', async () => {
    assert.deepEqual(await run(...B, '--election-type', 'preferred', '--all-topic-partitions'), {
      code: 0,
      out: 'Successfully completed leader election (PREFERRED) for partitions t-0, t-2\n',
      err: '',
    });
    assert.deepEqual(fc.state.topics.get('t')!.partitions.map((p) => p.leader), [1, 2, 3]);
    assert.deepEqual(await run(...B, '--election-type', 'PREFERRED', '--all-topic-partitions'), { code: 0, out: '', err: '' }, 'nothing left to elect: nothing printed');
  });

  test('--topic/--partition and --path-to-json-file: elected, already elected and failed partitions', async () => {
    assert.deepEqual(await run(...B, '--election-type', 'preferred', '--topic', 't', '--partition', '1'), { code: 0, out: 'Valid replica already elected for partitions t-1\n', err: '' });
    const file = join(dir, 'e.json');
    writeFileSync(file, JSON.stringify({ partitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }, { topic: 'nope', partition: 0 }] }));
    assert.deepEqual(await run(...B, '--election-type', 'preferred', '--path-to-json-file', file), {
      code: 1,
      out:
        'Successfully completed leader election (PREFERRED) for partitions t-0\n' +
        'Valid replica already elected for partitions t-1\n' +
        'Error completing leader election (PREFERRED) for partition: nope-0: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: No such topic as nope\n',
      err: '1 replica(s) could not be elected\n',
    });
  });

  test('UNCLEAN: elects a live replica of a leaderless partition; a preferred replica that is down fails', async () => {
    fc.state.brokers[2]!.alive = false; // broker 3: t-1 keeps leader 2, t-2 (leader 1) is fine too
    const t = fc.state.topics.get('t')!;
    t.partitions[1]!.leader = 3; // now leaderless
    assert.deepEqual(await run(...B, '--election-type', 'unclean', '--topic', 't', '--partition', '1'), { code: 0, out: 'Successfully completed leader election (UNCLEAN) for partitions t-1\n', err: '' });
    assert.equal(t.partitions[1]!.leader, 2);
    assert.deepEqual(await run(...B, '--election-type', 'preferred', '--topic', 't', '--partition', '2'), {
      code: 1,
      out: 'Error completing leader election (PREFERRED) for partition: t-2: org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: The preferred leader was not available.\n',
      err: '1 replica(s) could not be elected\n',
    });
  });

  test("Kafka's checks of the flags and the file", async () => {
    const fails = async (args: string[], err: string) => assert.deepEqual(await run(...args), { code: 1, out: '', err: `${err}\n` });
    await fails([...B], 'Missing required option(s): election-type');
    await fails(['--election-type', 'preferred', '--all-topic-partitions'], 'Missing required option(s): bootstrap-server');
    await fails([...B, '--election-type', 'preferred'], 'One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file');
    await fails([...B, '--election-type', 'preferred', '--topic', 't', '--partition', '0', '--all-topic-partitions'], 'One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file');
    await fails([...B, '--election-type', 'preferred', '--topic', 't'], 'Missing required option(s): partition');
    await fails([...B, '--election-type', 'preferred', '--all-topic-partitions', '--partition', '1'], 'Option partition is only allowed if topic is used');
    await fails([...B, '--election-type', 'bogus', '--all-topic-partitions'], "Cannot parse argument 'bogus' of option election-type");
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ partitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 0 }] }));
    await fails([...B, '--election-type', 'preferred', '--path-to-json-file', file], 'Replica election data contains duplicate partitions: [t-0]');
    writeFileSync(file, '{"x": []}');
    await fails([...B, '--election-type', 'preferred', '--path-to-json-file', file], 'Replica election data is missing "partitions" field');
    const both = await run(...B, '--election-type', 'preferred', '--all-topic-partitions', '--admin.config', file, '--command-config', file);
    assert.equal(both.code, 1);
    assert.match(both.err, /^Option "\[admin\.config\]" can't be used with option "\[command-config\]"\n/);
  });

  test('--admin.config still works, with a deprecation note', async () => {
    const props = join(dir, 'admin.properties');
    writeFileSync(props, 'client.id=election-test\n');
    assert.deepEqual(await run(...B, '--election-type', 'preferred', '--topic', 't', '--partition', '1', '--admin.config', props), {
      code: 0,
      out: 'Valid replica already elected for partitions t-1\n',
      err: 'Option --admin.config has been deprecated and will be removed in a future version. Use --command-config instead.\n',
    });
  });
});
