"""The Python producers of the failover tests (test_failover.py): confluent-kafka (librdkafka) or
kafka-python 3.x, idempotent with acks=all. Sends a numbered sequence of records to one partition,
one every --interval-ms, while the test kills the partition's leader, and reports every outcome on
stdout, one JSON object a line (the same lines as the Java FailoverProducer):
  {"ev": "start", "client": ...}
  {"ev": "ack", "i": n, "p": partition, "o": offset}   the broker acknowledged record n
  {"ev": "err", "i": n, "err": "..."}                  record n failed for good
  {"ev": "done", "acked": a, "failed": f}
Record n has key "k-n" and value "<prefix>-n". The client's log (its retried errors) goes to stderr.

Usage: python failover_producer.py --client confluent|kafka-python --bootstrap H:P[,H:P] --topic T
       --count N [--interval-ms 20] [--prefix v] [--partition 0]
"""
import argparse
import json
import logging
import sys
import threading
import time

LOCK = threading.Lock()


def out(**ev):
    with LOCK:
        sys.stdout.write(json.dumps(ev, sort_keys=True) + "\n")
        sys.stdout.flush()


def paced(args):
    """Yields 0..count-1, one every interval-ms (on a fixed schedule, not after each send)."""
    nxt = time.monotonic()
    for i in range(args.count):
        yield i
        nxt += args.interval_ms / 1000.0
        left = nxt - time.monotonic()
        if left > 0:
            time.sleep(left)  # the sending pace, not a synchronisation


def record(args, i):
    return ("k-%d" % i).encode(), ("%s-%d" % (args.prefix, i)).encode()


def run_confluent(args, counts):
    import confluent_kafka
    from confluent_kafka import Producer
    # librdkafka logs to stderr itself: its retries, and the leader changes it learns from metadata
    p = Producer({"bootstrap.servers": args.bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5,
                  "message.timeout.ms": 60000, "request.timeout.ms": 10000, "debug": "msg,eos,metadata"})
    out(ev="start", client="confluent-kafka %s (librdkafka %s)" % (confluent_kafka.version()[0], confluent_kafka.libversion()[0]))

    def make_cb(i):
        def cb(err, msg):
            if err is None:
                counts["acked"] += 1
                out(ev="ack", i=i, p=msg.partition(), o=msg.offset())
            else:
                counts["failed"] += 1
                out(ev="err", i=i, err="%s: %s" % (err.name(), err.str()))
        return cb
    for i in paced(args):
        k, v = record(args, i)
        p.produce(args.topic, key=k, value=v, partition=args.partition, on_delivery=make_cb(i))
        p.poll(0)
    left = p.flush(90)
    if left:
        out(ev="err", i=-1, err="%d records still queued after flush(90)" % left)


def run_kafka_python(args, counts):
    import kafka
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=args.bootstrap.split(","), acks="all", enable_idempotence=True, linger_ms=5,
                      request_timeout_ms=10000, delivery_timeout_ms=60000, retries=2147483647, retry_backoff_ms=100)
    out(ev="start", client="kafka-python %s" % kafka.__version__)

    def ok(i):
        def cb(md):
            counts["acked"] += 1
            out(ev="ack", i=i, p=md.partition, o=md.offset)
        return cb

    def bad(i):
        def cb(e):
            counts["failed"] += 1
            out(ev="err", i=i, err="%s: %s" % (type(e).__name__, e))
        return cb
    for i in paced(args):
        k, v = record(args, i)
        p.send(args.topic, key=k, value=v, partition=args.partition).add_callback(ok(i)).add_errback(bad(i))
    p.flush(timeout=90)
    p.close(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--client", choices=("confluent", "kafka-python"), required=True)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--interval-ms", type=float, default=20)
    ap.add_argument("--prefix", default="v")
    ap.add_argument("--partition", type=int, default=0)
    args = ap.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    counts = {"acked": 0, "failed": 0}
    (run_confluent if args.client == "confluent" else run_kafka_python)(args, counts)
    out(ev="done", **counts)


if __name__ == "__main__":
    main()
