"""kafka-python (2.0.2 or 3.x, whichever the running venv has) against the broker, for one codec.

Creates the topic with KafkaAdminClient, produces keyed records with headers and explicit
timestamps in one compressed batch, reads them back from the beginning and from offset FROM with a
group-less assigned KafkaConsumer, and lists offsets (earliest, latest, by timestamp).
Exits 1 with a message on the first mismatch.

Usage: python kafka_python_client.py <bootstrap> <topic> <none|gzip|snappy|lz4|zstd>
"""
import sys
import time

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

import spec


def consume(consumer, want):
    got = []
    end = time.monotonic() + spec.DEADLINE_S
    while len(got) < want and time.monotonic() < end:
        for records in consumer.poll(timeout_ms=500).values():
            got.extend(records)
    return got


def as_tuples(records):
    return [(r.offset, r.key, r.value, r.timestamp, [(k, bytes(v)) for k, v in r.headers]) for r in records]


def check(what, got, want):
    if got != want:
        for g, w in zip(got, want):
            if g != w:
                raise AssertionError("%s: first difference: got %r, expected %r" % (what, g, w))
        raise AssertionError("%s: got %d records, expected %d" % (what, len(got), len(want)))


def main(bootstrap, topic, codec):
    timeouts = dict(request_timeout_ms=15000)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="interop-kafka-python", **timeouts)
    try:
        admin.create_topics([NewTopic(name=topic, num_partitions=1, replication_factor=1)], timeout_ms=15000)
    finally:
        admin.close()

    base = spec.base_timestamp()
    producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type=None if codec == "none" else codec,
                             linger_ms=50, acks="all", max_block_ms=30000, **timeouts)
    try:
        futures = [producer.send(topic, key=spec.key(i), value=spec.value(codec, i), headers=spec.headers(codec, i),
                                 partition=0, timestamp_ms=base + i * 1000) for i in range(spec.COUNT)]
        producer.flush(timeout=30)
        offsets = [f.get(timeout=30).offset for f in futures]
        check("produced offsets", offsets, list(range(spec.COUNT)))
    finally:
        producer.close(timeout=10)

    tp = TopicPartition(topic, 0)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", fetch_max_wait_ms=200, consumer_timeout_ms=1000, **timeouts)
    try:
        parts = spec.poll_until(lambda: consumer.partitions_for_topic(topic), "partitions_for_topic")
        check("partitions_for_topic", sorted(parts), [0])
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        check("from beginning", as_tuples(consume(consumer, spec.COUNT)), spec.expected(codec, base))
        consumer.seek(tp, spec.FROM)
        check("from offset %d" % spec.FROM, as_tuples(consume(consumer, spec.COUNT - spec.FROM)),
              spec.expected(codec, base, spec.FROM))

        check("beginning_offsets", consumer.beginning_offsets([tp]), {tp: 0})
        check("end_offsets", consumer.end_offsets([tp]), {tp: spec.COUNT})
        found = consumer.offsets_for_times({tp: base + 3000 - 500})[tp]
        check("offsets_for_times", (found.offset, found.timestamp), (3, base + 3000))
        check("offsets_for_times past the end", consumer.offsets_for_times({tp: base + spec.COUNT * 1000}), {tp: None})
    finally:
        consumer.close()
    print("OK kafka-python %s codec=%s topic=%s" % (kafka.__version__, codec, topic))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    try:
        main(*sys.argv[1:])
    except AssertionError as e:
        print("MISMATCH kafka-python %s: %s" % (kafka.__version__, e), file=sys.stderr)
        sys.exit(1)
