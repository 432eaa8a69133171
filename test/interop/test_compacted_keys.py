"""Compacted topics, against the broker under test (Tributary or Apache Kafka 4.3.1): a record
without a key is refused (Kafka's LogValidator: the whole batch fails with INVALID_RECORD and
nothing of it is written; a keyed record is written), checked with confluent-kafka (librdkafka);
and once the log cleaner has compacted a topic, kcat and Kafka's Java consumer read it across its
gaps."""
import json
import re
import shutil
import subprocess
import time

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import spec
from cluster import kafka_tool
from test_confluent_kafka import T

KCAT = shutil.which("kcat") or shutil.which("kafkacat")


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


KEYS, VERSIONS = 20, 10


def _kcat_records(bootstrap, topic):
    """(offset, key, value) of every record kcat reads from the beginning to the end."""
    out = subprocess.run([KCAT, "-b", bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-J", "-q"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    return [(r["offset"], r["key"], r["payload"]) for r in map(json.loads, out.stdout.splitlines()) if r]


def test_java_consumer_and_kcat_read_a_compacted_topic_across_its_gaps(bootstrap):
    """Both brokers clean a compacted topic on their own (segment.ms rolls segments, a low
    min.cleanable.dirty.ratio makes it dirty enough): once cleaned, Kafka's own Java consumer
    (ConsoleConsumer from Kafka's jars) and kcat read the latest value of every key at its
    original offset, stepping over the gaps the cleaner left."""
    assert KCAT, "kcat is not installed: run scripts/install-interop.sh kcat"
    topic = spec.topic_name("compacted-gaps")
    admin = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 15000})
    config = {"cleanup.policy": "compact", "segment.ms": "100", "min.cleanable.dirty.ratio": "0.01"}
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1, config=config)],
                        operation_timeout=15, request_timeout=15)[topic].result(timeout=T)
    spec.poll_until(lambda: (admin.list_topics(topic, timeout=10).topics.get(topic) or None) and
                    admin.list_topics(topic, timeout=10).topics[topic].error is None, "topic %s in metadata" % topic)

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "all"})
    for v in range(VERSIONS):
        for k in range(KEYS):
            producer.produce(topic, key=b"k%02d" % k, value=b"v%d-k%02d" % (v, k), partition=0)
        producer.flush(T)
        time.sleep(0.15)  # the next append rolls the segment (segment.ms)
    producer.produce(topic, key=b"filler", value=b"f", partition=0)
    producer.flush(T)
    total = KEYS * VERSIONS + 1

    # The cleaner runs every log.cleaner.backoff.ms (15 s by default on both brokers).
    want = {"k%02d" % k: "v%d-k%02d" % (VERSIONS - 1, k) for k in range(KEYS)}
    want["filler"] = "f"
    recs = spec.poll_until(lambda: (lambda r: r if len(r) == KEYS + 1 else None)(_kcat_records(bootstrap, topic)),
                           "the topic to be compacted to one record per key", deadline_s=120, interval=1.0)
    assert {k: v for _, k, v in recs} == want
    offsets = [o for o, _, _ in recs]
    assert offsets == sorted(offsets) and offsets[-1] == total - 1
    assert offsets[:KEYS] == list(range((VERSIONS - 1) * KEYS, VERSIONS * KEYS)), "offsets kept, gaps before them"

    # From an offset inside a gap: the next record kept.
    out = subprocess.run([KCAT, "-b", bootstrap, "-C", "-t", topic, "-p", "0", "-o", "5", "-e", "-J", "-q"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert [json.loads(l)["offset"] for l in out.stdout.splitlines() if l][0] == (VERSIONS - 1) * KEYS

    res = kafka_tool("org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", bootstrap, "--topic", topic,
                     "--partition", "0", "--offset", "earliest", "--timeout-ms", "10000",
                     "--property", "print.key=true", "--property", "print.offset=true")
    if res is None:
        pytest.skip("Apache Kafka's jars are not cached (scripts/fetch-kafka.sh)")
    lines = [l for l in res.stdout.splitlines() if l.startswith("Offset:")]
    got = [(int(m.group(1)), m.group(2), m.group(3)) for m in (re.match(r"Offset:(\d+)\t([^\t]*)\t(.*)$", l) for l in lines) if m]
    assert got == recs, res.stdout + res.stderr
