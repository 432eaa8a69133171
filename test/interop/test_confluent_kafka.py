"""confluent-kafka (librdkafka) in process: AdminClient CreateTopics, a compressed produce with
headers and timestamps, assign-and-consume from the beginning and from an offset, and offsets
listed through the consumer (watermarks, offsets_for_times) and AdminClient.list_offsets."""
import time

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

import spec

T = 30  # seconds, every blocking call


def create_topic(bootstrap, topic, partitions=1):
    admin = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 15000})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                  operation_timeout=15, request_timeout=15)
    futures[topic].result(timeout=T)

    def ready():  # a created topic can take a moment to show in metadata (Kafka's KRaft brokers lag)
        md = admin.list_topics(topic, timeout=10).topics.get(topic)
        return md if md is not None and md.error is None and len(md.partitions) == partitions else None
    md = spec.poll_until(ready, "topic %s in metadata with %d partition(s)" % (topic, partitions))
    assert sorted(md.partitions) == list(range(partitions))
    assert all(p.error is None and p.leader >= 0 for p in md.partitions.values())
    return admin


def consume(consumer, want):
    got = []
    end = time.monotonic() + spec.DEADLINE_S
    while len(got) < want and time.monotonic() < end:
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            raise KafkaException(m.error())
        got.append(m)
    return got


def as_tuples(msgs):
    return [(m.offset(), m.key(), m.value(), m.timestamp()[1], list(m.headers() or [])) for m in msgs]


@pytest.mark.parametrize("codec", spec.CODECS)
def test_produce_consume_list_offsets(bootstrap, codec):
    topic = spec.topic_name("confluent", codec)
    admin = create_topic(bootstrap, topic)
    base = spec.base_timestamp()

    delivered = []
    producer = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "linger.ms": 50,
                         "acks": "all", "message.timeout.ms": T * 1000})
    for i in range(spec.COUNT):
        producer.produce(topic, key=spec.key(i), value=spec.value(codec, i), partition=0, timestamp=base + i * 1000,
                         headers=spec.headers(codec, i), on_delivery=lambda err, m: delivered.append((err, m)))
    assert producer.flush(T) == 0, "messages still queued after flush"
    assert [e for e, _ in delivered if e is not None] == []
    assert [m.offset() for _, m in delivered] == list(range(spec.COUNT))

    tp = TopicPartition(topic, 0)
    # librdkafka refuses a consumer without group.id; the group is never joined (assign, no commits)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-unused-" + topic,
                         "enable.auto.commit": False, "enable.auto.offset.store": False,
                         "auto.offset.reset": "error", "fetch.wait.max.ms": 200, "socket.timeout.ms": 15000})
    try:
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        assert as_tuples(consume(consumer, spec.COUNT)) == spec.expected(codec, base)
        consumer.seek(TopicPartition(topic, 0, spec.FROM))
        assert as_tuples(consume(consumer, spec.COUNT - spec.FROM)) == spec.expected(codec, base, spec.FROM)

        assert consumer.get_watermark_offsets(tp, timeout=T, cached=False) == (0, spec.COUNT)
        [found] = consumer.offsets_for_times([TopicPartition(topic, 0, base + 3000 - 500)], timeout=T)
        assert (found.error, found.offset) == (None, 3)
        [past] = consumer.offsets_for_times([TopicPartition(topic, 0, base + spec.COUNT * 1000)], timeout=T)
        assert past.offset == -1  # no such record: the end (OFFSET_END)
    finally:
        consumer.close()

    def list_offset(spec_):
        return admin.list_offsets({tp: spec_}, request_timeout=15)[tp].result(timeout=T)
    assert list_offset(OffsetSpec.earliest()).offset == 0
    assert list_offset(OffsetSpec.latest()).offset == spec.COUNT
    r = list_offset(OffsetSpec.for_timestamp(base + 7000))
    assert (r.offset, r.timestamp) == (7, base + 7000)
    r = list_offset(OffsetSpec.max_timestamp())
    assert (r.offset, r.timestamp) == (spec.COUNT - 1, base + (spec.COUNT - 1) * 1000)
    admin.delete_topics([topic], operation_timeout=15)[topic].result(timeout=T)
