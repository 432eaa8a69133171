"""Helpers of the transaction interop tests that use confluent-kafka (librdkafka) in process: a
transactional producer, waiting for a partition to have no open transaction, and reading a topic
from the beginning at one isolation level."""
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, IsolationLevel, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import OffsetSpec

import spec

T = 30  # seconds, every blocking call


def txn_producer(bootstrap, txn_id, **extra):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id, "message.timeout.ms": T * 1000,
                  "socket.timeout.ms": 15000, "linger.ms": 5, **extra})
    p.init_transactions(T)
    return p


def produce_all(producer, topic, values, partition=0):
    """Produces the values (key k-<i>) to one partition and waits for every delivery."""
    errs = []
    for i, v in enumerate(values):
        producer.produce(topic, key=b"k-%d" % i, value=v.encode(), partition=partition,
                         on_delivery=lambda err, m: errs.append(err) if err else None)
    assert producer.flush(T) == 0, "messages still queued after flush"
    assert errs == []


def end_offsets(admin, topic, partitions, isolation):
    spec_ = {TopicPartition(topic, p): OffsetSpec.latest() for p in range(partitions)}
    futures = admin.list_offsets(spec_, isolation_level=isolation, request_timeout=15)
    return {tp.partition: f.result(timeout=T).offset for tp, f in futures.items()}


def wait_stable(admin, topic, partitions=1):
    """Waits until no transaction is open on the topic: the last stable offset (ListOffsets with
    read_committed) reaches the log end offset. commit_transaction and abort_transaction return once
    the coordinator has logged the outcome; it writes the markers after that. Returns the ends."""
    def stable():
        lso = end_offsets(admin, topic, partitions, IsolationLevel.READ_COMMITTED)
        leo = end_offsets(admin, topic, partitions, IsolationLevel.READ_UNCOMMITTED)
        return leo if lso == leo else None
    return spec.poll_until(stable, "the LSO of %s to reach its log end" % topic)


def read_all(bootstrap, topic, isolation, partitions=1):
    """Reads every partition from the beginning, group-less, until the consumer reports the end of
    each (PARTITION_EOF: the LSO for read_committed). Returns ([(partition, offset, value)],
    {partition: position})."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-unused-" + topic, "isolation.level": isolation,
                  "enable.auto.commit": False, "enable.auto.offset.store": False, "enable.partition.eof": True,
                  "auto.offset.reset": "error", "fetch.wait.max.ms": 200, "socket.timeout.ms": 15000})
    try:
        tps = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)]
        c.assign(tps)
        got, eof = [], set()
        end = time.monotonic() + spec.DEADLINE_S
        while len(eof) < partitions:
            assert time.monotonic() < end, "%s read of %s: no end of partition within %ds (read %r)" % (
                isolation, topic, spec.DEADLINE_S, got)
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                    continue
                raise KafkaException(m.error())
            eof.discard(m.partition())
            got.append((m.partition(), m.offset(), m.value().decode()))
        positions = {tp.partition: tp.offset for tp in c.position([TopicPartition(topic, p) for p in range(partitions)])}
        return sorted(got), positions
    finally:
        c.close()
