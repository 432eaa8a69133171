"""Unclean leader election off (unclean.leader.election.enable=false, the default): when every
in-sync replica of a partition is down, a stale replica does not become its leader, and records
acknowledged with acks=all are not lost.

A topic with replication factor 2 (nodes A, leader, and B) and min.insync.replicas=1: records are
acknowledged by both; B is stopped and leaves the ISR; more records are acknowledged by A alone; A is
killed -9; only B (stale: it lacks the later records) is started again. The partition must stay
offline: no leader in Metadata, and a produce fails (its delivery times out) instead of writing to
B's stale log. Once A is back it leads again, and every acknowledged record is in the log, at the
offset it was acknowledged with, none of them truncated.

Apache Kafka 4.3.1 (KRaft, eligible leader replicas, KIP-966): while B alone is up the partition has
leader -1 (Metadata's partition error LEADER_NOT_AVAILABLE) and B is not in the ISR; A, the last
replica in sync, is elected when it returns. The test asserts what both brokers must do, not how
Kafka records it (ISR or ELR); it prints the states it saw.
"""
import threading
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

import spec

# the test body is bounded; the cluster fixtures bound their own setup and teardown (starts, restarts)
pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.timeout(90, func_only=True)]

BATCH = 10
OFFLINE_PRODUCE_MS = 6000  # how long the produce to the offline partition may try


def produce(bootstrap, topic, values, timeout_ms=20000):
    """Sends values to partition 0 with acks=all (idempotent); returns [(value, offset or error)]."""
    results = []
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5,
                  "message.timeout.ms": timeout_ms, "request.timeout.ms": min(timeout_ms, 10000),
                  "log_level": 0})
    for v in values:
        p.produce(topic, value=v.encode(), partition=0,
                  on_delivery=lambda err, m: results.append((m.value().decode(), m.offset() if err is None else err)))
    left = p.flush(timeout_ms / 1000.0 + 15)
    assert left == 0, "%d records neither delivered nor failed" % left
    return results


def read_all(bootstrap, topic, end):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-unused-" + topic, "enable.auto.commit": False,
                  "auto.offset.reset": "error", "fetch.wait.max.ms": 200, "log_level": 0})
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        got, deadline = [], time.monotonic() + spec.DEADLINE_S
        while len(got) < end and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None:
                assert m.error() is None, m.error()
                got.append((m.offset(), m.value().decode()))
        return got
    finally:
        c.close()


def test_no_unclean_election(whole_cluster):
    c = whole_cluster
    topic = spec.topic_name("unclean")
    a, b = 1, 2  # A leads, B follows; node 3 holds no replica
    [state] = c.create_topic(topic, assignment=[[a, b]], configs={"min.insync.replicas": "1",
                                                                  "unclean.leader.election.enable": "false"})
    assert state.leader == a, state
    report = ["unclean election on %s: %s leader %d, follower %d" % (c.kind, topic, a, b)]
    try:
        first = produce(c.bootstrap, topic, ["both-%d" % i for i in range(BATCH)])
        assert [o for _, o in first] == list(range(BATCH)), first

        c.stop(b)  # SIGTERM: a controlled shutdown takes B out of the ISR
        c.wait_isr(topic, 0, [a])
        report.append("B stopped: %s" % c.partition(topic))
        second = produce(c.bootstrap_of([a, 3]), topic, ["a-only-%d" % i for i in range(BATCH)])
        assert [o for _, o in second] == list(range(BATCH, 2 * BATCH)), second
        acked = dict((o, v) for v, o in first + second)

        c.kill(a)
        c.restart(b)  # returns once B is a registered broker again
        c.wait_brokers([b, 3])

        # B is stale: the partition has no leader, and stays so while A is away
        offline = spec.poll_until(lambda: (lambda p: p if p is not None and p.leader == -1 else None)(c.partition(topic)),
                                  "the partition to have no leader", 30)
        report.append("A killed, B restarted: %s" % offline)
        states, done = [], threading.Event()

        def sample():  # what Metadata says while the produce tries
            while True:
                states.append(c.partition(topic))
                if done.wait(0.5):
                    return
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            attempt = produce(c.bootstrap_of([b, 3]), topic, ["while-offline"], timeout_ms=OFFLINE_PRODUCE_MS)
        finally:
            done.set()
            sampler.join(15)
        states.append(c.partition(topic))
        report.append("produce while offline: %s" % attempt)
        report.append("Metadata meanwhile: %s" % sorted({repr(s) for s in states}))
        [(_, outcome)] = attempt
        assert not isinstance(outcome, int), "a produce to the offline partition was acknowledged at offset %d" % outcome
        leaders = {s.leader for s in states if s is not None}
        assert leaders == {-1}, "the partition got a leader while its only in-sync replica was down: %s" % states
        assert all(b not in s.isr for s in states if s is not None), "the stale replica was taken into the ISR: %s" % states

        # A comes back: it leads again, with everything that was acknowledged
        c.restart(a)
        leader = c.wait_leader(topic, deadline_s=60)
        back = c.wait_isr(topic, 0, [a, b], deadline_s=60)
        report.append("A restarted: leader %d, %s" % (leader, back))
        assert leader == a, "node %d leads after A's return" % leader
        end = c.high_watermark(topic)
        got = read_all(c.bootstrap, topic, end)
        assert dict(got) == acked and end == 2 * BATCH, \
            "after A's return the log is %s, acknowledged were %s" % (got, sorted(acked.items()))
    finally:
        print("\n  ".join(report))
