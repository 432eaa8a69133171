"""The kafka-python producer and consumer examples from ../shared/seed/kafka-tutorial.txt
("python operation kafka": 1. Producer demo; 2. simple consumer; 4. earliest; 5. set offset
manually), run as written apart from:
  - the address: bootstrap_servers=BOOTSTRAP everywhere (the seed has broker1:1234, 127.0.0.1:9092
    or none, meaning localhost:9092);
  - consumer_timeout_ms=3000 on the consumers, so iterating ends;
  - example 5 assigns test-0 instead of subscribing, since seek() needs an assigned partition;
  - `log` is a logging.Logger (the seed uses it without defining it);
  - the seed's producer snippets are separate README examples: run in one sequence as printed, the
    100 b'msg' sends would go through the json producer and fail (TypeError: bytes is not JSON
    serializable) on any broker, so a plain producer is made again before "produce asynchronously";
  - the demo's messages go to the seed's topics (my-topic, msgpack-topic, json-topic, test), which
    the broker auto-creates; every check is relative to the offsets seen before the run, so the
    script can run twice against one broker.
Then checks what reached the broker. Exits 1 on a mismatch.

Usage: python seed_examples.py <bootstrap>
"""
import ast
import contextlib
import io
import json
import logging
import re
import sys

import msgpack
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError

import spec

log = logging.getLogger("seed")
BOOTSTRAP = sys.argv[1] if len(sys.argv) > 1 else spec.bootstrap()
TOPICS = ("my-topic", "msgpack-topic", "json-topic", "test")


def end_offsets():
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, request_timeout_ms=15000)
    try:
        out = {}
        for t in TOPICS:
            parts = c.partitions_for_topic(t)
            out[t] = sum(c.end_offsets([TopicPartition(t, p) for p in parts]).values()) if parts else 0
        return out
    finally:
        c.close()


def producer_demo():
    # ---- 1. Producer demo, as in the seed ----
    producer = KafkaProducer(bootstrap_servers=[BOOTSTRAP])
    # Asynchronous by default
    future = producer.send('my-topic', b'raw_bytes')
    # Block for 'synchronous' sends
    try:
        record_metadata = future.get(timeout=10)
    except KafkaError:
        # Decide what to do if produce request failed...
        log.exception()
        pass
    # Successful result returns assigned partition and offset
    print(record_metadata.topic)
    print(record_metadata.partition)
    print(record_metadata.offset)
    # produce keyed messages to enable hashed partitioning
    producer.send('my-topic', key=b'foo', value=b'bar')
    # encode objects via msgpack
    producer = KafkaProducer(bootstrap_servers=[BOOTSTRAP], value_serializer=msgpack.dumps)
    producer.send('msgpack-topic', {'key': 'value'})
    # produce json messages
    producer = KafkaProducer(bootstrap_servers=[BOOTSTRAP], value_serializer=lambda m: json.dumps(m).encode('ascii'))
    producer.send('json-topic', {'key': 'value'})
    producer = KafkaProducer(bootstrap_servers=[BOOTSTRAP])  # (not in the seed: see the docstring)
    # produce asynchronously
    for _ in range(100):
        producer.send('my-topic', b'msg')

    def on_send_success(record_metadata):
        print(record_metadata.topic)
        print(record_metadata.partition)
        print(record_metadata.offset)

    def on_send_error(excp):
        log.error('I am an errback', exc_info=excp)
        # handle exception
    # produce asynchronously with callbacks
    producer.send('my-topic', b'raw_bytes').add_callback(on_send_success).add_errback(on_send_error)
    # block until all async messages are sent
    producer.flush()
    # configure multiple retries
    producer = KafkaProducer(bootstrap_servers=[BOOTSTRAP], retries=5)
    # ---- end of the seed's producer demo ----
    producer.close()
    return record_metadata


def consumer_simple():
    # ---- 2. Consumer (simple demo): default auto_offset_reset='latest', so it reads nothing old ----
    consumer = KafkaConsumer('test', bootstrap_servers=[BOOTSTRAP], consumer_timeout_ms=3000)
    for message in consumer:
        print("%s:%d:%d: key=%s value=%s" % (message.topic, message.partition, message.offset, message.key, message.value))
    consumer.close()


def consumer_earliest():
    # ---- 4. Consumer (read the earliest readable message currently) ----
    consumer = KafkaConsumer('test', auto_offset_reset='earliest', bootstrap_servers=[BOOTSTRAP], consumer_timeout_ms=3000)
    for message in consumer:
        print("%s:%d:%d: key=%s value=%s" % (message.topic, message.partition, message.offset, message.key, message.value))
    consumer.close()


def consumer_seek(offset):
    # ---- 5. Consumer (set offset manually); assign() where the seed subscribes, so seek() works ----
    consumer = KafkaConsumer(bootstrap_servers=[BOOTSTRAP], consumer_timeout_ms=3000)
    consumer.assign([TopicPartition(topic='test', partition=0)])
    print(consumer.partitions_for_topic("test"))  # Get partition information of test topic
    print(consumer.topics())  # Get a list of topics
    print(consumer.subscription())  # Gets the topic of the current consumer subscription
    print(consumer.assignment())  # Get the topic and partition information of the current consumer
    print(consumer.beginning_offsets(consumer.assignment()))  # Gets the offset that the current consumer can consume
    consumer.seek(TopicPartition(topic='test', partition=0), offset)  # Reset offset, consume from 5th offset
    for message in consumer:
        print("%s:%d:%d: key=%s value=%s" % (message.topic, message.partition, message.offset, message.key, message.value))
    consumer.close()


def run(fn, *args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = fn(*args)
    sys.stdout.write(out.getvalue())
    return result, out.getvalue().splitlines()


def check(what, got, want):
    if got != want:
        raise AssertionError("%s: got %r, expected %r" % (what, got, want))


def main():
    before = end_offsets()

    md, lines = run(producer_demo)
    check("first send's topic/partition", (md.topic, md.partition), ("my-topic", 0))
    check("first send's offset", md.offset, before["my-topic"])
    # the callback printed topic, partition, offset of the last send: 1 + 1 + 100 records later
    check("printed lines", lines, ["my-topic", "0", str(before["my-topic"]),
                                   "my-topic", "0", str(before["my-topic"] + 102)])
    want = dict(before)
    want["my-topic"] += 103
    want["msgpack-topic"] += 1
    want["json-topic"] += 1
    # the msgpack producer was never flushed (as in the seed): its sender thread delivers it
    spec.poll_until(lambda: {t: v for t, v in end_offsets().items() if t != "test"} ==
                    {t: v for t, v in want.items() if t != "test"}, "the demo's records to reach the broker")

    # records for the consumer examples to read
    p = KafkaProducer(bootstrap_servers=BOOTSTRAP)
    start = before["test"]
    for i in range(10):
        p.send('test', key=b'k%d' % i, value=b'v%d' % i, partition=0).get(timeout=30)
    p.close()

    _, lines = run(consumer_simple)
    check("simple consumer (latest) output", lines, [])

    line = re.compile(r"^test:0:(\d+): key=(.*) value=(.*)$")
    _, lines = run(consumer_earliest)
    got = [line.match(x).groups() for x in lines]
    check("earliest consumer: count", len(got), start + 10)
    check("earliest consumer: offsets", [int(o) for o, _, _ in got], list(range(start + 10)))
    check("earliest consumer: last ten", [(k, v) for _, k, v in got[start:]],
          [("b'k%d'" % i, "b'v%d'" % i) for i in range(10)])

    _, lines = run(consumer_seek, start + 5)
    check("seek example: partitions_for_topic", lines[0], "{0}")
    topics = ast.literal_eval(lines[1])  # the set of names the example printed
    check("seek example: topics() has the seed topics", set(TOPICS) <= topics, True)
    check("seek example: subscription", lines[2], "None")
    check("seek example: assignment", lines[3], "{TopicPartition(topic='test', partition=0)}")
    check("seek example: beginning_offsets", lines[4], "{TopicPartition(topic='test', partition=0): 0}")
    got = [line.match(x).groups() for x in lines[5:]]
    check("seek example: records from offset %d" % (start + 5), got,
          [(str(start + i), "b'k%d'" % i, "b'v%d'" % i) for i in range(5, 10)])
    print("OK seed examples")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("MISMATCH seed examples: %s" % e, file=sys.stderr)
        sys.exit(1)
