// The replication bookkeeping, without sockets: leader epochs (OffsetsForLeaderEpoch answers,
// KIP-279 truncation, the leader-epoch-checkpoint file in Kafka's format) and the leader's view of
// its followers (high watermark, ISR shrink and expand, min.insync.replicas).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  LeaderEpochCache,
  UNDEFINED_EPOCH,
  UNDEFINED_OFFSET,
  formatLeaderEpochCheckpoint,
  parseLeaderEpochCheckpoint,
  readLeaderEpochCheckpoint,
  truncationOffset,
  writeLeaderEpochCheckpoint,
} from '../../src/storage/leader-epoch-cache.js';
import { LeaderReplicaState } from '../../src/broker/cluster/replica-state.js';

describe('leader epochs', () => {
  test('end offsets per epoch, as OffsetsForLeaderEpoch answers them', () => {
    const c = new LeaderEpochCache([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 100 },
      { epoch: 5, startOffset: 250 },
    ]);
    assert.deepEqual(c.endOffsetFor(5, 400), { leaderEpoch: 5, endOffset: 400 }, 'the latest epoch ends at the log end');
    assert.deepEqual(c.endOffsetFor(7, 400), { leaderEpoch: 5, endOffset: 400 });
    assert.deepEqual(c.endOffsetFor(2, 400), { leaderEpoch: 2, endOffset: 250 });
    assert.deepEqual(c.endOffsetFor(1, 400), { leaderEpoch: 0, endOffset: 100 }, 'an epoch this log never had: the one below it, ending where the next began');
    assert.deepEqual(new LeaderEpochCache().endOffsetFor(3, 10), { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET });
    assert.deepEqual(new LeaderEpochCache([{ epoch: 4, startOffset: 7 }]).endOffsetFor(3, 10), { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET });
  });

  test('assign ignores old epochs and drops contradicted ones; truncation from either end', () => {
    const c = new LeaderEpochCache([{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 50 }]);
    c.assign(2, 60);
    assert.deepEqual(c.all, [{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 50 }]);
    c.assign(4, 40); // a new leader whose epoch starts before 3's start: 3's entry is contradicted
    assert.deepEqual(c.all, [{ epoch: 1, startOffset: 0 }, { epoch: 4, startOffset: 40 }]);
    c.assign(6, 90);
    c.truncateFromEnd(90);
    assert.deepEqual(c.all, [{ epoch: 1, startOffset: 0 }, { epoch: 4, startOffset: 40 }]);
    c.truncateFromStart(45);
    assert.deepEqual(c.all, [{ epoch: 4, startOffset: 45 }]);
  });

  test('KIP-279 truncation: keep what both logs agree on', () => {
    // Follower wrote epochs 1 (0..) and 2 (100..) up to 180; the new leader (epoch 3) only had epoch 1 up to 120.
    const f = new LeaderEpochCache([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 100 }]);
    assert.equal(truncationOffset((e) => f.endOffsetFor(e, 180), 180, 90, { leaderEpoch: 1, endOffset: 120 }), 100, 'the follower\'s epoch 1 ended at 100');
    assert.equal(truncationOffset((e) => f.endOffsetFor(e, 180), 180, 90, { leaderEpoch: 2, endOffset: 150 }), 150);
    assert.equal(truncationOffset((e) => f.endOffsetFor(e, 140), 140, 90, { leaderEpoch: 2, endOffset: 150 }), 140, 'never beyond its own log end');
    assert.equal(truncationOffset((e) => f.endOffsetFor(e, 180), 180, 90, { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET }), 90, 'no answer: the high watermark');
  });

  test('the checkpoint file in Kafka\'s format; garbage is refused', async () => {
    const c = new LeaderEpochCache([{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 1234 }]);
    assert.equal(formatLeaderEpochCheckpoint(c.all), '0\n2\n0 0\n3 1234\n');
    const dir = mkdtempSync(join(tmpdir(), 'epochs-'));
    try {
      const path = join(dir, 'leader-epoch-checkpoint');
      assert.deepEqual((await readLeaderEpochCheckpoint(path)).all, []);
      await writeLeaderEpochCheckpoint(path, c);
      assert.deepEqual((await readLeaderEpochCheckpoint(path)).all, c.all);
      for (const bad of ['1\n0\n', '0\n2\n0 0\n', '0\n1\n0 x\n', '0\n1\n-1 5\n', '']) {
        writeFileSync(path, bad);
        await assert.rejects(readLeaderEpochCheckpoint(path), /leader-epoch-checkpoint/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseLeaderEpochCheckpoint(s);
        } catch (e) {
          assert.match((e as Error).message, /leader-epoch-checkpoint/);
        }
      }),
    );
  });
});

describe('the leader\'s view of its replicas', () => {
  test('the high watermark is the lowest log end in the ISR and never goes back', () => {
    const s = new LeaderReplicaState(1, [1, 2, 3], [1, 2, 3], 0, 0, 0);
    assert.equal(s.advanceHighWatermark(10), 0, 'followers have not fetched yet');
    assert.equal(s.onFollowerFetch(2, 10, 10, 1), 0);
    assert.equal(s.onFollowerFetch(3, 6, 10, 1), 6);
    assert.equal(s.onFollowerFetch(3, 10, 12, 2), 10);
    assert.equal(s.onFollowerFetch(3, 4, 12, 3), 10, 'never backwards');
    assert.equal(s.setIsr([1, 2], 12), 10);
    assert.equal(s.onFollowerFetch(2, 12, 12, 4), 12, 'a follower outside the ISR does not hold the HW back');
  });

  test('a follower that is not caught up for replica.lag.time.max.ms leaves the ISR; it rejoins once it has reached the HW and the epoch start', () => {
    const s = new LeaderReplicaState(1, [1, 2, 3], [1, 2, 3], 100, 100, 0);
    s.onFollowerFetch(2, 100, 100, 0);
    s.onFollowerFetch(3, 100, 100, 0);
    // 2 keeps fetching to the end; 3 falls behind from t=1000 on.
    s.onFollowerFetch(2, 150, 150, 1000);
    s.onFollowerFetch(3, 120, 150, 1000);
    s.onFollowerFetch(2, 200, 200, 5000);
    s.onFollowerFetch(3, 150, 200, 5000); // it reached what the leader had at its previous fetch: caught up as of t=1000
    assert.equal(s.shrinkIsr(10_000, 10_000), null);
    assert.deepEqual(s.shrinkIsr(11_001, 10_000), [1, 2]);
    s.setIsr([1, 2], 200);
    assert.equal(s.expandIsr(), null, '3 is behind the HW');
    s.onFollowerFetch(3, 200, 200, 12_000);
    assert.deepEqual(s.expandIsr(), [1, 2, 3]);
    s.setIsr(s.expandIsr()!, 200);
    assert.equal(s.enoughReplicas(3), true);
    s.setIsr([1], 200);
    assert.equal(s.enoughReplicas(2), false);
  });

  test('a new leader keeps out a follower that has not reached its epoch start', () => {
    const s = new LeaderReplicaState(2, [1, 2], [2], 500, 500, 0);
    s.onFollowerFetch(1, 480, 500, 1);
    assert.equal(s.expandIsr(), null);
    s.onFollowerFetch(1, 500, 500, 2);
    assert.deepEqual(s.expandIsr(), [2, 1]);
  });
});
