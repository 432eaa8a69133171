"""kafka-python 3.x transactions against the broker (run with .cache/venv-kp3's python).

  commit-abort  KafkaProducer(transactional_id=...): a committed, an aborted and a committed
                transaction on one partition; a read_committed consumer returns the committed
                records only (the markers never), a read_uncommitted one every data record, and
                both end past the last marker
  ctp           consume-transform-produce: a subscribed read_committed group consumer, the outputs
                and send_offsets_to_transaction(offsets, consumer.group_metadata()) in one
                transaction; the group's offset shows only once it commits; a second round,
                aborted, leaves it as it was

Exits 1 with a message on the first mismatch; prints OK on success.

Usage: python kafka_python_txn_client.py <commit-abort|ctp> <bootstrap> <topic-prefix>
"""
import sys
import time
import uuid

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata

import spec

TIMEOUTS = dict(request_timeout_ms=15000)


def check(what, got, want):
    if got != want:
        raise AssertionError("%s: got %r, expected %r" % (what, got, want))


def create_topics(bootstrap, *topics):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="interop-kafka-python-txn", **TIMEOUTS)
    try:
        admin.create_topics([NewTopic(name=t, num_partitions=1, replication_factor=1) for t in topics], timeout_ms=15000)
    finally:
        admin.close()


def txn_producer(bootstrap, txn_id):
    p = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=txn_id, max_block_ms=30000, linger_ms=5, **TIMEOUTS)
    p.init_transactions()
    return p


def send_all(producer, topic, values):
    futures = [producer.send(topic, key=b"k-%d" % i, value=v.encode(), partition=0) for i, v in enumerate(values)]
    producer.flush(timeout=30)
    return [f.get(timeout=30).offset for f in futures]


def consumer(bootstrap, isolation, **extra):
    return KafkaConsumer(bootstrap_servers=bootstrap, isolation_level=isolation, enable_auto_commit=False,
                         auto_offset_reset="earliest", fetch_max_wait_ms=200, **TIMEOUTS, **extra)


def wait_stable(bootstrap, topic):
    """Waits until no transaction is open on the partition: its end offset read_committed (the last
    stable offset) equals the log end offset. Commit and abort return once the coordinator has
    logged the outcome; it writes the markers after that. Returns the log end offset."""
    tp = TopicPartition(topic, 0)
    rc, ru = consumer(bootstrap, "read_committed"), consumer(bootstrap, "read_uncommitted")
    try:
        def stable():
            leo = ru.end_offsets([tp])[tp]
            return leo if rc.end_offsets([tp])[tp] == leo else None
        return spec.poll_until(stable, "the LSO of %s to reach the log end" % topic)
    finally:
        rc.close()
        ru.close()


def read_all(bootstrap, topic, isolation):
    """Reads partition 0 from the beginning, group-less, until the position reaches the end offset
    for this isolation level. Returns ([(offset, value)], position)."""
    tp = TopicPartition(topic, 0)
    c = consumer(bootstrap, isolation, group_id=None)
    try:
        c.assign([tp])
        c.seek_to_beginning(tp)
        end_offset = c.end_offsets([tp])[tp]
        got = []
        end = time.monotonic() + spec.DEADLINE_S
        while c.position(tp) < end_offset:
            if time.monotonic() > end:
                raise AssertionError("%s read of %s: position %d, not %d, after %ds (read %r)"
                                     % (isolation, topic, c.position(tp), end_offset, spec.DEADLINE_S, got))
            for records in c.poll(timeout_ms=200).values():
                got.extend((r.offset, r.value.decode()) for r in records)
        return got, c.position(tp)
    finally:
        c.close()


def commit_abort(bootstrap, prefix):
    topic = prefix + "-commit-abort"
    create_topics(bootstrap, topic)
    p = txn_producer(bootstrap, "interop-txn-kp3-" + uuid.uuid4().hex[:8])
    try:
        p.begin_transaction()
        check("first transaction's offsets", send_all(p, topic, ["c1-%d" % i for i in range(4)]), [0, 1, 2, 3])
        p.commit_transaction()  # COMMIT at 4
        p.begin_transaction()
        check("aborted transaction's offsets", send_all(p, topic, ["ab-%d" % i for i in range(4)]), [5, 6, 7, 8])
        p.abort_transaction()  # ABORT at 9
        p.begin_transaction()
        check("last transaction's offsets", send_all(p, topic, ["c2-%d" % i for i in range(2)]), [10, 11])
        p.commit_transaction()  # COMMIT at 12
    finally:
        p.close(timeout=10)
    check("log end offset", wait_stable(bootstrap, topic), 13)
    committed = [(i, "c1-%d" % i) for i in range(4)] + [(10 + i, "c2-%d" % i) for i in range(2)]
    aborted = [(5 + i, "ab-%d" % i) for i in range(4)]
    check("read_committed (records, position)", read_all(bootstrap, topic, "read_committed"), (committed, 13))
    check("read_uncommitted (records, position)", read_all(bootstrap, topic, "read_uncommitted"),
          (sorted(committed + aborted), 13))


def poll_n(c, n):
    got = []
    end = time.monotonic() + spec.DEADLINE_S
    while len(got) < n:
        if time.monotonic() > end:
            raise AssertionError("consumed %d of %d records within %ds" % (len(got), n, spec.DEADLINE_S))
        for records in c.poll(timeout_ms=200).values():
            got.extend(records)
    return got


def group_offset(bootstrap, group, tp):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="interop-kafka-python-txn", **TIMEOUTS)
    try:
        om = admin.list_group_offsets({group: [tp]})[group].get(tp)
        return None if om is None or om.offset < 0 else om.offset
    finally:
        admin.close()


def ctp(bootstrap, prefix):
    src, out = prefix + "-in", prefix + "-out"
    create_topics(bootstrap, src, out)
    group = "interop-txn-kp3-" + uuid.uuid4().hex[:8]
    tp = TopicPartition(src, 0)
    plain = KafkaProducer(bootstrap_servers=bootstrap, acks="all", **TIMEOUTS)
    send_all(plain, src, ["in-%d" % i for i in range(6)])
    c = consumer(bootstrap, "read_committed", group_id=group)
    p = txn_producer(bootstrap, "interop-txn-kp3-ctp-" + uuid.uuid4().hex[:8])
    try:
        c.subscribe([src])
        msgs = poll_n(c, 6)
        p.begin_transaction()
        send_all(p, out, ["out-" + m.value.decode() for m in msgs])
        p.send_offsets_to_transaction({tp: OffsetAndMetadata(6, "", -1)}, c.group_metadata())
        check("the group's offset with the transaction open", group_offset(bootstrap, group, tp), None)
        p.commit_transaction()
        spec.poll_until(lambda: group_offset(bootstrap, group, tp) == 6, "the group's offset 6 after the commit")
        check("the consumer's committed()", c.committed(tp), 6)

        send_all(plain, src, ["in-%d" % i for i in range(6, 9)])
        msgs = poll_n(c, 3)
        p.begin_transaction()
        send_all(p, out, ["out-" + m.value.decode() for m in msgs])
        p.send_offsets_to_transaction({tp: OffsetAndMetadata(9, "", -1)}, c.group_metadata())
        p.abort_transaction()
        check("the consumer's committed() after the aborted round", c.committed(tp), 6)
        check("the group's offset after the aborted round", group_offset(bootstrap, group, tp), 6)
    finally:
        c.close()
        p.close(timeout=10)
        plain.close(timeout=10)
    check("output log end offset", wait_stable(bootstrap, out), 11)  # 6, COMMIT, 3 aborted, ABORT
    check("read_committed output", read_all(bootstrap, out, "read_committed"), ([(i, "out-in-%d" % i) for i in range(6)], 11))


def main(scenario, bootstrap, prefix):
    {"commit-abort": commit_abort, "ctp": ctp}[scenario](bootstrap, prefix)
    print("OK kafka-python %s scenario=%s" % (kafka.__version__, scenario))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    try:
        main(*sys.argv[1:])
    except AssertionError as e:
        print("MISMATCH kafka-python %s: %s" % (kafka.__version__, e), file=sys.stderr)
        sys.exit(1)
