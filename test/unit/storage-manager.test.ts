// LogManager: log.dirs layout, meta.properties, checkpoints (byte-exact), clean shutdown, deletion.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LogManager,
  formatOffsetCheckpoint,
  parseOffsetCheckpoint,
  parsePartitionDirName,
  deleteDirName,
  parseTopicConfig,
  readMetaProperties,
} from '../../src/storage/index.js';
import { batchOffsets, valueBatch } from './helpers/storage-batches.js';

const CLUSTER = 'MkU3OEVBNTcwNTJENDM2Qk';

const roots: string[] = [];
async function root(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trib-lm-'));
  roots.push(d);
  return d;
}
after(async () => {
  for (const d of roots) await rm(d, { recursive: true, force: true });
});

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

describe('LogManager', () => {
  test('checkpoint text format', () => {
    const text = formatOffsetCheckpoint([
      { topic: 'orders', partition: 0, offset: 42 },
      { topic: 'my.topic_x', partition: 11, offset: 0 },
    ]);
    assert.equal(text, '0\n2\norders 0 42\nmy.topic_x 11 0\n');
    assert.deepEqual(parseOffsetCheckpoint(text), [
      { topic: 'orders', partition: 0, offset: 42 },
      { topic: 'my.topic_x', partition: 11, offset: 0 },
    ]);
    assert.equal(formatOffsetCheckpoint([]), '0\n0\n');
    assert.throws(() => parseOffsetCheckpoint('1\n0\n'));
    assert.throws(() => parseOffsetCheckpoint('0\n2\na 0 1\n'));
  });

  test('dir names', () => {
    assert.deepEqual(parsePartitionDirName('my-topic-12'), { topic: 'my-topic', partition: 12 });
    assert.equal(parsePartitionDirName('meta.properties'), undefined);
    assert.equal(parsePartitionDirName('t-0.abc-delete'), undefined);
    assert.match(deleteDirName('orders', 3), /^orders-3\.[0-9a-f]{32}-delete$/);
    assert.ok(deleteDirName('x'.repeat(300), 1).length <= 255);
  });

  test('config parsing', () => {
    assert.deepEqual(parseTopicConfig({ 'segment.bytes': '1024', 'flush.messages': '1', 'cleanup.policy': 'compact', 'message.timestamp.type': 'LogAppendTime' }), {
      segmentBytes: 1024,
      flushMessages: 1,
      cleanupDelete: false,
      compact: true,
      messageTimestampType: 'LogAppendTime',
    });
    assert.deepEqual(parseTopicConfig({ 'message.timestamp.before.max.ms': '9223372036854775807', 'message.timestamp.after.max.ms': '1000' }), {
      messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
      messageTimestampAfterMaxMs: 1000,
    });
    assert.equal(parseTopicConfig({ 'cleanup.policy': 'delete' }).compact, false);
    assert.equal(parseTopicConfig({ 'cleanup.policy': 'compact,delete' }).compact, true);
    assert.equal(parseTopicConfig({ 'flush.messages': '9223372036854775807' }).flushMessages, Number.MAX_SAFE_INTEGER);
    assert.throws(() => parseTopicConfig({ 'segment.bytes': 'lots' }), /segment.bytes/);
  });

  test('meta.properties, placement over dirs, checkpoints, clean shutdown', async () => {
    const r = await root();
    const dirs = [join(r, 'd1'), join(r, 'd2')];
    const lm = await LogManager.open({ logDirs: dirs, nodeId: 1, clusterId: 'MkU3OEVBNTcwNTJENDM2Qk' });
    for (const d of dirs) {
      const text = await readFile(join(d, 'meta.properties'), 'utf8');
      assert.match(text, /^#\n#\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}\nnode\.id=1\ndirectory\.id=[A-Za-z0-9_-]{22}\nversion=1\ncluster\.id=MkU3OEVBNTcwNTJENDM2Qk\n$/);
    }
    const ids = [...lm.directoryIds.values()];
    assert.equal(new Set(ids).size, 2);
    const a0 = await lm.getOrCreateLog('a', 0, { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' });
    const a1 = await lm.getOrCreateLog('a', 1);
    const b0 = await lm.getOrCreateLog('b', 0, { config: { segmentBytes: 4096 } });
    assert.equal(await lm.getOrCreateLog('a', 0), a0);
    assert.equal(lm.logDirOf('a', 0), dirs[0]);
    assert.equal(lm.logDirOf('a', 1), dirs[1]);
    assert.equal(lm.logDirOf('b', 0), dirs[0]);
    assert.equal(b0.config.segmentBytes, 4096);
    assert.equal(await readFile(join(dirs[0]!, 'a-0', 'partition.metadata'), 'utf8'), 'version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n');
    for (let i = 0; i < 5; i++) await a0.append(valueBatch([`a${i}`]));
    await a1.append(valueBatch(['x', 'y']));
    await b0.append(valueBatch(['b']));
    await b0.deleteRecordsBefore(1);
    await lm.checkpointRecoveryOffsets();
    // Nothing flushed yet: recovery points are 0; log start offsets as set.
    assert.equal(await readFile(join(dirs[0]!, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n2\na 0 0\nb 0 0\n');
    await lm.checkpointLogStartOffsets();
    assert.equal(await readFile(join(dirs[0]!, 'log-start-offset-checkpoint'), 'utf8'), '0\n2\na 0 0\nb 0 1\n');
    await lm.close();
    assert.equal(await readFile(join(dirs[0]!, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n2\na 0 5\nb 0 1\n');
    assert.equal(await readFile(join(dirs[1]!, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n1\na 1 2\n');
    assert.equal(await readFile(join(dirs[0]!, 'log-start-offset-checkpoint'), 'utf8'), '0\n2\na 0 0\nb 0 1\n');
    for (const d of dirs) assert.ok(await exists(join(d, '.kafka_cleanshutdown')));
    assert.equal((await readdir(dirs[0]!)).filter((n) => n.endsWith('.tmp')).length, 0);

    // Restart: clean, nothing recovered, marker consumed, same ids.
    const lm2 = await LogManager.open({ logDirs: dirs, nodeId: 1 });
    assert.equal(lm2.clusterId, 'MkU3OEVBNTcwNTJENDM2Qk');
    assert.deepEqual([...lm2.directoryIds.values()], ids);
    assert.equal(lm2.cleanShutdownDirs.size, 2);
    for (const d of dirs) assert.equal(await exists(join(d, '.kafka_cleanshutdown')), false);
    const a0b = lm2.getLog('a', 0)!;
    assert.equal(a0b.logEndOffset, 5);
    assert.equal(a0b.recoveryInfo.recoveredSegments, 0);
    assert.equal(lm2.getLog('b', 0)!.logStartOffset, 1);
    assert.equal(lm2.getLog('a', 1)!.logEndOffset, 2);
    assert.equal(batchOffsets(await a0b.read(0, 1 << 20)).length, 5);
    await lm2.close();

    // A different node.id is refused.
    await assert.rejects(LogManager.open({ logDirs: dirs, nodeId: 2 }), /node\.id/);
    const meta = await readMetaProperties(join(dirs[0]!, 'meta.properties'));
    assert.equal(meta?.nodeId, 1);
  });

  test('unclean restart recovers from the checkpointed recovery point', async () => {
    const r = await root();
    const dirs = [join(r, 'd')];
    const lm = await LogManager.open({ logDirs: dirs, nodeId: 0, recoveryCheckpointIntervalMs: 0 });
    const log = await lm.getOrCreateLog('t', 0, { config: { segmentBytes: 1000 } });
    for (let i = 0; i < 20; i++) await log.append(valueBatch(['x'.repeat(200)]));
    await log.flush();
    await lm.checkpointRecoveryOffsets();
    for (let i = 0; i < 3; i++) await log.append(valueBatch(['y'.repeat(200)]));
    // Simulate a crash: no close, no marker. (Files stay as written through the page cache.)
    const lm2 = await LogManager.open({ logDirs: dirs, nodeId: 0, topicConfig: () => ({ segmentBytes: 1000 }) });
    const l2 = lm2.getLog('t', 0)!;
    assert.equal(l2.logEndOffset, 23);
    assert.ok(l2.recoveryInfo.recoveredSegments >= 1 && l2.recoveryInfo.recoveredSegments < l2.numberOfSegments);
    assert.equal(lm2.cleanShutdownDirs.size, 0);
    await lm2.close();
  });

  test('deleteLog renames to -delete and removes in the background', async () => {
    const r = await root();
    const d = join(r, 'd');
    const lm = await LogManager.open({ logDirs: [d], nodeId: 0 });
    const log = await lm.getOrCreateLog('gone', 0);
    await log.append(valueBatch(['x']));
    await lm.getOrCreateLog('gone', 1);
    assert.equal(await lm.deleteTopic('gone'), 2);
    assert.equal(lm.getLog('gone', 0), undefined);
    assert.ok(!(await readdir(d)).includes('gone-0'));
    await lm.close();
    const left = (await readdir(d)).filter((n) => n.startsWith('gone'));
    assert.deepEqual(left, []);
    assert.equal(await readFile(join(d, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n0\n');
    // A leftover -delete dir found at startup is removed too.
    await writeFile(join(d, 'placeholder'), '');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(d, 'old-0.0123456789abcdef0123456789abcdef-delete'));
    const lm2 = await LogManager.open({ logDirs: [d], nodeId: 0 });
    await lm2.close();
    assert.ok(!(await readdir(d)).some((n) => n.endsWith('-delete')));
  });

  test('replication-offset-checkpoint: high watermarks at close, restored at open; no entry: the log start offset', async () => {
    const d = join(await root(), 'd');
    const lm = await LogManager.open({ logDirs: [d], nodeId: 0, clusterId: CLUSTER, replicated: true });
    const a = await lm.getOrCreateLog('a', 0);
    const b = await lm.getOrCreateLog('b', 3);
    for (let i = 0; i < 6; i++) await a.append(valueBatch([`a${i}`]));
    await b.append(valueBatch(['x', 'y', 'z']));
    a.setHighWatermark(4);
    assert.equal(a.highWatermark, 4);
    assert.equal(b.highWatermark, 0);
    await lm.close();
    assert.equal(await readFile(join(d, 'replication-offset-checkpoint'), 'utf8'), '0\n2\na 0 4\nb 3 0\n');
    let lm2 = await LogManager.open({ logDirs: [d], nodeId: 0, replicated: true });
    assert.equal(lm2.getLog('a', 0)!.highWatermark, 4);
    assert.equal(lm2.getLog('a', 0)!.logEndOffset, 6);
    assert.equal(lm2.getLog('b', 3)!.highWatermark, 0);
    await lm2.close();
    // Entries above the log end are clamped to it; a partition without one starts at its log start offset.
    await writeFile(join(d, 'replication-offset-checkpoint'), '0\n1\na 0 99\n');
    await writeFile(join(d, 'log-start-offset-checkpoint'), '0\n2\na 0 0\nb 3 1\n');
    lm2 = await LogManager.open({ logDirs: [d], nodeId: 0, replicated: true });
    assert.equal(lm2.getLog('a', 0)!.highWatermark, 6);
    assert.equal(lm2.getLog('b', 3)!.highWatermark, 1);
    await lm2.close();
  });

  test('replication-offset-checkpoint after an unclean shutdown: the last checkpointed high watermark, clamped to what was recovered', async () => {
    const d = join(await root(), 'd');
    const lm = await LogManager.open({ logDirs: [d], nodeId: 0, clusterId: CLUSTER, replicated: true, replicaHighWatermarkCheckpointIntervalMs: 0 });
    const log = await lm.getOrCreateLog('t', 0);
    for (let i = 0; i < 10; i++) await log.append(valueBatch([`v${i}`]));
    log.setHighWatermark(4);
    await lm.checkpointHighWatermarks();
    log.setHighWatermark(8);
    // Crash: no close, no marker.
    const lm2 = await LogManager.open({ logDirs: [d], nodeId: 0, replicated: true });
    const l2 = lm2.getLog('t', 0)!;
    assert.equal(l2.logEndOffset, 10);
    assert.equal(l2.highWatermark, 4);
    l2.setHighWatermark(9);
    await lm2.checkpointHighWatermarks();
    // Crash again, losing the tail of the data: the high watermark cannot be above what is left.
    await writeFile(join(d, 't-0', '00000000000000000000.log'), (await readFile(join(d, 't-0', '00000000000000000000.log'))).subarray(0, 6 * 70));
    const lm3 = await LogManager.open({ logDirs: [d], nodeId: 0, replicated: true });
    const l3 = lm3.getLog('t', 0)!;
    assert.ok(l3.logEndOffset < 9, `log end ${l3.logEndOffset}`);
    assert.equal(l3.highWatermark, l3.logEndOffset);
    await lm3.close();
  });

  test('replication-offset-checkpoint: written every replica.high.watermark.checkpoint.interval.ms (5000 by default)', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const d = join(await root(), 'd');
    const lm = await LogManager.open({ logDirs: [d], nodeId: 0, clusterId: CLUSTER, replicated: true });
    const log = await lm.getOrCreateLog('t', 0);
    await log.append(valueBatch(['a', 'b']));
    log.setHighWatermark(2);
    t.mock.timers.tick(4999);
    // Checkpoint writes run one at a time: this one completes after any the timer started.
    await lm.checkpointRecoveryOffsets();
    assert.equal(await exists(join(d, 'replication-offset-checkpoint')), false);
    t.mock.timers.tick(1);
    await lm.checkpointRecoveryOffsets();
    assert.equal(await readFile(join(d, 'replication-offset-checkpoint'), 'utf8'), '0\n1\nt 0 2\n');
    await lm.close();
  });

  test('not replicated: the file is still written, with the log end offsets, and ignored at open', async () => {
    const d = join(await root(), 'd');
    const lm = await LogManager.open({ logDirs: [d], nodeId: 0, clusterId: CLUSTER });
    const log = await lm.getOrCreateLog('t', 0);
    await log.append(valueBatch(['a', 'b', 'c']));
    await lm.checkpointHighWatermarks();
    assert.equal(await readFile(join(d, 'replication-offset-checkpoint'), 'utf8'), '0\n1\nt 0 3\n');
    await lm.close();
    await writeFile(join(d, 'replication-offset-checkpoint'), '0\n1\nt 0 1\n');
    const lm2 = await LogManager.open({ logDirs: [d], nodeId: 0 });
    assert.equal(lm2.getLog('t', 0)!.highWatermark, 3);
    await lm2.close();
  });

  test('a truncation checkpoints the lowered offsets at once', async () => {
    const d = join(await root(), 'd');
    const lm = await LogManager.open({ logDirs: [d], nodeId: 0, clusterId: CLUSTER, replicated: true, recoveryCheckpointIntervalMs: 0, replicaHighWatermarkCheckpointIntervalMs: 0 });
    const log = await lm.getOrCreateLog('t', 0);
    for (let i = 0; i < 10; i++) await log.append(valueBatch([`v${i}`]));
    log.setHighWatermark(10);
    await log.flush();
    await lm.checkpointRecoveryOffsets();
    await lm.checkpointHighWatermarks();
    assert.equal(await readFile(join(d, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n1\nt 0 10\n');
    await log.truncateTo(4);
    assert.equal(await readFile(join(d, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n1\nt 0 4\n');
    assert.equal(await readFile(join(d, 'replication-offset-checkpoint'), 'utf8'), '0\n1\nt 0 4\n');
    await log.truncateFullyAndStartAt(50);
    assert.equal(await readFile(join(d, 'log-start-offset-checkpoint'), 'utf8'), '0\n1\nt 0 50\n');
    await lm.close();
  });
});
