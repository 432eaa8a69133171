"""kcat (librdkafka) as a read_committed consumer (-X isolation.level=read_committed) over a topic
with a committed, an aborted, a committed and a still open transaction, written by confluent-kafka's
transactional producer: it returns the committed records only and stops at the open transaction
(the last stable offset); read_uncommitted returns every data record. Neither returns a marker."""
import json
import uuid

import spec
from test_confluent_kafka import T, create_topic
from test_kcat import kcat
from txn_confluent import produce_all, txn_producer


def consume(bootstrap, topic, isolation):
    out = kcat(bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-J", "-q",
               "-X", "isolation.level=%s" % isolation)
    return [(r["offset"], r["payload"]) for r in (json.loads(line) for line in out.splitlines() if line.strip())]


def test_read_committed(bootstrap):
    topic = spec.topic_name("txn-kcat")
    create_topic(bootstrap, topic)
    p = txn_producer(bootstrap, "interop-txn-kcat-" + uuid.uuid4().hex[:8])
    try:
        p.begin_transaction()
        produce_all(p, topic, ["c1-%d" % i for i in range(4)])  # offsets 0-3, COMMIT at 4
        p.commit_transaction(T)
        p.begin_transaction()
        produce_all(p, topic, ["ab-%d" % i for i in range(4)])  # 5-8, ABORT at 9
        p.abort_transaction(T)
        p.begin_transaction()
        produce_all(p, topic, ["c2-%d" % i for i in range(2)])  # 10-11, COMMIT at 12
        p.commit_transaction(T)
        p.begin_transaction()
        produce_all(p, topic, ["open-%d" % i for i in range(2)])  # 13-14, left open

        committed = [(i, "c1-%d" % i) for i in range(4)] + [(10 + i, "c2-%d" % i) for i in range(2)]
        aborted = [(5 + i, "ab-%d" % i) for i in range(4)]
        still_open = [(13 + i, "open-%d" % i) for i in range(2)]
        # the COMMIT at 12 may still be on its way: read_committed ends at the LSO, 13 once it is in
        last = []

        def read_committed_is_committed():
            last[:] = consume(bootstrap, topic, "read_committed")
            return last == committed
        try:
            spec.poll_until(read_committed_is_committed, "kcat's read_committed to return the committed records")
        except AssertionError as e:
            raise AssertionError("%s; kcat returned %r" % (e, last)) from None
        assert consume(bootstrap, topic, "read_uncommitted") == sorted(committed + aborted + still_open)
        p.abort_transaction(T)
    finally:
        p.close()
