"""A compacted topic refuses a record without a key (Kafka's LogValidator): the whole batch fails
with INVALID_RECORD and nothing of it is written; a keyed record is written. Checked with
confluent-kafka (librdkafka) against the broker under test, Tributary or Apache Kafka 4.3.1."""
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import spec
from test_confluent_kafka import T


def test_a_compacted_topic_refuses_keyless_records(bootstrap):
    topic = spec.topic_name("compacted-keys")
    admin = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 15000})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1, config={"cleanup.policy": "compact"})],
                        operation_timeout=15, request_timeout=15)[topic].result(timeout=T)
    def ready():  # a created topic can take a moment to show in metadata (Kafka's KRaft brokers lag)
        md = admin.list_topics(topic, timeout=10).topics.get(topic)
        return md is not None and md.error is None and len(md.partitions) == 1
    spec.poll_until(ready, "topic %s in metadata" % topic)

    results = []
    producer = Producer({"bootstrap.servers": bootstrap, "retries": 0, "linger.ms": 0, "enable.idempotence": False, "acks": "all"})
    def report(err, msg):
        results.append((msg.key(), err.code() if err else None))
    producer.produce(topic, value=b"no key", partition=0, on_delivery=report)
    producer.flush(T)
    producer.produce(topic, key=b"k", value=b"keyed", partition=0, on_delivery=report)
    producer.flush(T)
    assert results == [(None, KafkaError.INVALID_RECORD), (b"k", None)]

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topic, "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        msg = spec.poll_until(lambda: consumer.poll(1.0), "the keyed record")
        assert msg.error() is None
        assert (msg.key(), msg.value(), msg.offset()) == (b"k", b"keyed", 0), "the refused batch took no offset"
    finally:
        consumer.close()
