"""confluent-kafka (librdkafka) transactions in process: init_transactions, begin, produce, commit
and abort, read back by read_committed and read_uncommitted consumers (the offsets each returns,
markers never returned, the position past the last marker); consume-transform-produce with
send_offsets_to_transaction(positions, consumer.consumer_group_metadata()), the group's offset
showing only once the transaction commits."""
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka import ConsumerGroupTopicPartitions

import spec
from test_confluent_kafka import T, create_topic
from txn_confluent import produce_all, read_all, txn_producer, wait_stable


def test_commit_abort_read_committed(bootstrap):
    topic = spec.topic_name("txn-confluent")
    admin = create_topic(bootstrap, topic)
    p = txn_producer(bootstrap, "interop-txn-confluent-" + uuid.uuid4().hex[:8])
    p.begin_transaction()
    produce_all(p, topic, ["c1-%d" % i for i in range(5)])  # offsets 0-4, COMMIT at 5
    p.commit_transaction(T)
    p.begin_transaction()
    produce_all(p, topic, ["ab-%d" % i for i in range(5)])  # 6-10, ABORT at 11
    p.abort_transaction(T)
    p.begin_transaction()
    produce_all(p, topic, ["c2-%d" % i for i in range(3)])  # 12-14, COMMIT at 15
    p.commit_transaction(T)
    p.close()

    assert wait_stable(admin, topic) == {0: 16}
    committed = [(0, i, "c1-%d" % i) for i in range(5)] + [(0, 12 + i, "c2-%d" % i) for i in range(3)]
    aborted = [(0, 6 + i, "ab-%d" % i) for i in range(5)]
    assert read_all(bootstrap, topic, "read_committed") == (committed, {0: 16})
    assert read_all(bootstrap, topic, "read_uncommitted") == (sorted(committed + aborted), {0: 16})


def group_offset(admin, group, tp):
    futures = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [tp])], request_timeout=15)
    [got] = futures[group].result(timeout=T).topic_partitions
    return got.offset  # -1001 (OFFSET_INVALID): none committed


def consume_n(consumer, n):
    got = []
    end = time.monotonic() + spec.DEADLINE_S
    while len(got) < n:
        assert time.monotonic() < end, "consumed %d of %d records within %ds" % (len(got), n, spec.DEADLINE_S)
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            raise KafkaException(m.error())
        got.append(m)
    return got


@pytest.mark.groups
def test_send_offsets_to_transaction(bootstrap):
    src, out = spec.topic_name("txn-confluent-in"), spec.topic_name("txn-confluent-out")
    admin = create_topic(bootstrap, src)
    create_topic(bootstrap, out)
    group = "interop-txn-confluent-" + uuid.uuid4().hex[:8]
    tp = TopicPartition(src, 0)
    plain = Producer({"bootstrap.servers": bootstrap, "acks": "all", "message.timeout.ms": T * 1000})
    produce_all(plain, src, ["in-%d" % i for i in range(6)])

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "isolation.level": "read_committed",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest", "fetch.wait.max.ms": 200,
                         "socket.timeout.ms": 15000})
    p = txn_producer(bootstrap, "interop-txn-confluent-ctp-" + uuid.uuid4().hex[:8])
    try:
        consumer.subscribe([src])
        msgs = consume_n(consumer, 6)
        p.begin_transaction()
        produce_all(p, out, ["out-" + m.value().decode() for m in msgs])
        p.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), T)
        assert group_offset(admin, group, tp) == -1001, "the group's offset showed before the commit"
        p.commit_transaction(T)
        spec.poll_until(lambda: group_offset(admin, group, tp) == 6, "the group's offset 6 after the commit")
        [c] = consumer.committed([tp], timeout=T)
        assert c.offset == 6

        # a second round, aborted: the group's offset stays at 6, the outputs never show
        produce_all(plain, src, ["in-%d" % i for i in range(6, 9)])
        msgs = consume_n(consumer, 3)
        p.begin_transaction()
        produce_all(p, out, ["out-" + m.value().decode() for m in msgs])
        p.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), T)
        p.abort_transaction(T)
        [c] = consumer.committed([tp], timeout=T)  # read_committed: asks for stable offsets
        assert c.offset == 6
        assert group_offset(admin, group, tp) == 6
    finally:
        consumer.close()
        p.close()
        plain.close()

    assert wait_stable(admin, out) == {0: 11}  # 6 outputs, COMMIT, 3 aborted outputs, ABORT
    assert read_all(bootstrap, out, "read_committed") == ([(0, i, "out-in-%d" % i) for i in range(6)], {0: 11})
