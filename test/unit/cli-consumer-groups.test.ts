// `tributary consumer-groups` (kafka-consumer-groups.sh) against the embedded broker: Kafka's tables
// (checked against Kafka 4.3.1's ConsumerGroupCommand on the same broker), offsets resets, deletes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/client/index.js';
import { Admin, Producer } from '../../src/client/index.js';
import { consumerGroupsCommand } from '../../src/cli/consumer-groups.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { connect, startBroker, type TestBroker } from './helpers/broker-client.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';

describe('kafka-consumer-groups', () => {
  let tb: TestBroker;
  let B: string[];
  let admin: Admin;
  let member: Connection;
  let memberId = '';
  const T0 = 1_700_000_000_000;

  before(async () => {
    tb = await startBroker({ 'group.initial.rebalance.delay.ms': 0 });
    const bootstrap = `127.0.0.1:${tb.broker.port}`;
    B = ['--bootstrap-server', bootstrap];
    admin = await Admin.connect({ bootstrap });
    await admin.createTopics([{ name: 'cgt', partitions: 2 }]);
    const p = await Producer.connect({ bootstrap });
    await p.send('cgt', Array.from({ length: 6 }, (_v, i) => ({ value: `v${i}`, partition: 0, timestamp: T0 + i * 1000 })));
    await p.close();
    await admin.alterConsumerGroupOffsets('idle', [{ topic: 'cgt', partition: 0, offset: 2n }, { topic: 'cgt', partition: 1, offset: 0n }]);
    // A live member of "busy" owning both partitions.
    member = await connect(tb);
    const sub = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 1, 0, 3]), Buffer.from('cgt'), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
    const join = (id: string) => ({ groupId: 'busy', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: id, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: sub }], reason: null });
    let j = await member.send(ApiKey.JoinGroup, join(''));
    if (j.errorCode === ErrorCode.MEMBER_ID_REQUIRED) j = await member.send(ApiKey.JoinGroup, join(j.memberId));
    memberId = j.memberId;
    const assignment = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 1, 0, 3]), Buffer.from('cgt'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
    await member.send(ApiKey.SyncGroup, { groupId: 'busy', generationId: j.generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId, assignment }] });
    await member.send(ApiKey.OffsetCommit, { groupId: 'busy', generationIdOrMemberEpoch: j.generationId, memberId, groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: 'cgt', topicId: ZERO_UUID, partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }] }, { version: 9 });
  });
  after(async () => {
    member.destroy();
    await admin.close();
    await tb.close();
  });

  async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await consumerGroupsCommand([...B, ...argv], { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }

  test('--list and --list --state', async () => {
    assert.deepEqual(await run('--list'), { code: 0, out: 'busy\nidle\n', err: '' });
    const s = await run('--list', '--state');
    assert.deepEqual(s.out.split('\n').map((l) => l.trimEnd()), ['GROUP                     STATE', 'busy                      Stable', 'idle                      Empty', '']);
    assert.equal((await run('--list', '--state', 'Empty')).out.split('\n')[1]!.trimEnd(), 'idle                      Empty');
  });

  test('--describe: offsets and lag, members, state', async () => {
    assert.equal(
      (await run('--describe', '--group', 'idle')).out,
      "\nConsumer group 'idle' has no active members.\n\n" +
        'GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n' +
        'idle            cgt             0          2               6               4               -               -               -\n' +
        'idle            cgt             1          0               0               0               -               -               -\n',
    );
    const busy = (await run('--describe', '--group', 'busy')).out.split('\n');
    assert.equal(busy[0], '');
    assert.match(busy[1]!, /^GROUP {11}TOPIC {11}PARTITION {2}CURRENT-OFFSET {2}LOG-END-OFFSET {2}LAG {13}CONSUMER-ID +HOST {12}CLIENT-ID$/);
    assert.match(busy[2]!, new RegExp(`^busy {12}cgt {13}0 {10}5 {15}6 {15}1 {15}${memberId} +/127\\.0\\.0\\.1 +\\S+$`));
    assert.match(busy[3]!, new RegExp(`^busy {12}cgt {13}1 {10}- {15}0 {15}- {15}${memberId}`));
    const members = (await run('--describe', '--group', 'busy', '--members', '--verbose')).out;
    assert.match(members, /#PARTITIONS {5}ASSIGNMENT\n/);
    assert.match(members, / 2 {15}cgt\(0,1\)\n$/);
    const state = (await run('--describe', '--group', 'busy', '--state')).out;
    assert.match(state, /^\nGROUP {11}COORDINATOR \(ID\) {10}ASSIGNMENT-STRATEGY  STATE {16}#MEMBERS\nbusy {12}127\.0\.0\.1:\d+ +\(1\) +range {16}Stable {15}1\n$/);
    assert.equal((await run('--describe', '--group', 'nope')).out, "\nError: Consumer group 'nope' does not exist.\n");
  });

  test('--reset-offsets: dry run by default, clamped, by shift and by time; refused for an active group', async () => {
    const dry = await run('--reset-offsets', '--group', 'idle', '--topic', 'cgt', '--to-earliest');
    assert.match(dry.out, /^WARN: No action will be performed as the --execute option is missing\./);
    assert.match(dry.out, /\nGROUP {11}TOPIC {11}PARTITION {2}NEW-OFFSET\nidle {12}cgt {13}0 {10}0\nidle {12}cgt {13}1 {10}0\n$/);
    assert.deepEqual((await admin.listConsumerGroupOffsets('idle')).map((o) => o.offset), [2n, 0n], 'unchanged');

    assert.equal((await run('--reset-offsets', '--group', 'idle', '--all-topics', '--to-offset', '99', '--execute')).code, 0);
    assert.deepEqual((await admin.listConsumerGroupOffsets('idle')).map((o) => o.offset), [6n, 0n], 'clamped to the log end');
    await run('--reset-offsets', '--group', 'idle', '--topic', 'cgt:0', '--shift-by', '-2', '--execute');
    assert.deepEqual((await admin.listConsumerGroupOffsets('idle')).map((o) => o.offset), [4n, 0n]);
    await run('--reset-offsets', '--group', 'idle', '--topic', 'cgt:0', '--to-datetime', new Date(T0 + 2500).toISOString().replace('Z', ''), '--execute');
    assert.deepEqual((await admin.listConsumerGroupOffsets('idle')).map((o) => o.offset), [3n, 0n], 'the first record at or after the time');

    const live = await run('--reset-offsets', '--group', 'busy', '--topic', 'cgt', '--to-earliest', '--execute');
    assert.deepEqual(live, { code: 1, out: '', err: "Error: Assignments can only be reset if the group 'busy' is inactive, but the current state is Stable.\n" });
    assert.match((await run('--reset-offsets', '--group', 'idle', '--topic', 'cgt')).err, /takes exactly one of these options/);
    assert.match((await run('--reset-offsets', '--group', 'idle', '--to-latest')).err, /takes one of these options: \[all-topics\], \[topic\]/);
  });

  test('--delete: an empty group goes, an active one is refused', async () => {
    await admin.alterConsumerGroupOffsets('gone', [{ topic: 'cgt', partition: 0, offset: 1n }]);
    assert.deepEqual(await run('--delete', '--group', 'gone'), { code: 0, out: "Deletion of requested consumer groups ('gone') was successful.\n", err: '' });
    const refused = await run('--delete', '--group', 'busy');
    assert.equal(refused.code, 1);
    assert.match(refused.out, /^Error: Deletion of some consumer groups failed:\n\* Group 'busy' could not be deleted due to: NON_EMPTY_GROUP/);
    assert.match((await run('--describe')).err, /takes one of these options: \[all-groups\], \[group\]/);
    assert.match((await run('--group', 'x')).err, /exactly one action/);
  });
});
