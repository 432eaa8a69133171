"""A confluent-kafka (librdkafka) group member for the failover tests: subscribes to one topic in a
group (classic protocol), and after each batch of records it processed commits their offsets
synchronously (at least once). Reports on stdout, one JSON object a line, as the other member
programs do (groups.py reads them):
  {"ev": "start", "client": ...}
  {"ev": "assigned"|"revoked", "parts": [...], "owned": [...]}
  {"ev": "rec", "p": partition, "o": offset, "v": value}
  {"ev": "committed", "offsets": {"<p>": next offset}}
  {"ev": "error", "err": ...}        an error event the consumer handed to the application
  {"ev": "closed"}                   after SIGTERM: close() (commit, LeaveGroup)

Usage: python confluent_group_consumer.py --bootstrap H:P[,H:P] --topic T --group G [--session-ms 6000]
       [--heartbeat-ms 1000]
"""
import argparse
import json
import signal
import sys

import confluent_kafka
from confluent_kafka import Consumer, KafkaException


def out(**ev):
    sys.stdout.write(json.dumps(ev, sort_keys=True) + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--session-ms", type=int, default=6000)
    ap.add_argument("--heartbeat-ms", type=int, default=1000)
    args = ap.parse_args()
    out(ev="start", client="confluent-kafka %s (librdkafka %s)" % (confluent_kafka.version()[0], confluent_kafka.libversion()[0]))
    owned = set()

    def on_assign(consumer, parts):
        ps = sorted(p.partition for p in parts)
        owned.update(ps)
        out(ev="assigned", parts=ps, owned=sorted(owned))

    def on_revoke(consumer, parts):
        ps = sorted(p.partition for p in parts)
        owned.difference_update(ps)
        out(ev="revoked", parts=ps, owned=sorted(owned))

    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "session.timeout.ms": args.session_ms,
                  "heartbeat.interval.ms": args.heartbeat_ms, "fetch.wait.max.ms": 200, "debug": "cgrp"})
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    c.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke)
    try:
        while not stop:
            msgs = c.consume(num_messages=100, timeout=0.5)
            batch = {}
            for m in msgs:
                if m.error():
                    out(ev="error", err="%s: %s" % (m.error().name(), m.error().str()))
                    continue
                out(ev="rec", p=m.partition(), o=m.offset(), v=m.value().decode())
                batch[m.partition()] = m.offset() + 1
            if batch:
                while True:
                    try:
                        done = c.commit(asynchronous=False)
                        break
                    except KafkaException as e:  # e.g. the coordinator moved: the same commit again
                        out(ev="commit-error", err=str(e.args[0]))
                        if not e.args[0].retriable():
                            raise
                out(ev="committed", offsets={str(tp.partition): tp.offset for tp in done if tp.error is None})
    finally:
        c.close()
        out(ev="closed")


if __name__ == "__main__":
    main()
