"""A kafka-python group member (2.0.2 or 3.x, whichever venv runs it), driven by the group tests.

It subscribes to one topic in a consumer group, as the seed's group example does
(KafkaConsumer(topic, group_id=..., bootstrap_servers=...)), and reports on stdout, one JSON object
a line (flushed at once, so a kill -9 loses nothing already reported):
  {"ev": "start", "client": "kafka-python 2.0.2", "pid": ...}
  {"ev": "assigned", "parts": [...], "owned": [...]}   (rebalance listener; owned: the full assignment)
  {"ev": "revoked", "parts": [...], "owned": [...]}
  {"ev": "rec", "p": partition, "o": offset, "v": value}   one line per record *processed*
  {"ev": "committed", "offsets": {"<p>": next offset}}      what the broker has committed for the batch
  {"ev": "crash", ...}                                      just before it SIGKILLs itself (--crash-at)
  {"ev": "closed"}                                          after a graceful close (SIGTERM)

Modes (--mode):
  watch  the seed's example: auto commit as configured by default; prints records.
  amo    at-most-once, as the seed has it: enable_auto_commit with a short auto_commit_interval_ms and
         no commit call of ours; a record is processed once the auto commit (run by poll()) covers it.
  alo    at-least-once: enable_auto_commit=False, process the batch, then commit() (commitSync).
  eos    the seed's "exactly once": enable_auto_commit=False, and each batch's results and the next
         offsets are written in one SQLite transaction (--db); a rebalance listener seeks every
         assigned partition to the offset stored in the database (or the beginning).
--crash-at N: SIGKILL itself at the N-th record it gets (1-based): in amo after the commit and before
processing it; in alo after processing it and before the commit.

Usage: python group_consumer.py --bootstrap H:P --topic T --group G [--mode watch] [--session-ms 6000]
       [--heartbeat-ms 1000] [--assignor range|roundrobin] [--max-poll-records N] [--crash-at N]
       [--db path] [--process-ms N]
"""
import argparse
import collections
import faulthandler
import json
import logging
import os
import signal
import sqlite3
import sys
import time

import kafka
from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

ASSIGNORS = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}


def out(**ev):
    sys.stdout.write(json.dumps(ev, sort_keys=True) + "\n")
    sys.stdout.flush()


def crash(**why):
    out(ev="crash", **why)
    os.kill(os.getpid(), signal.SIGKILL)


class Db:
    """Results and offsets, kept together (one transaction per batch)."""

    def __init__(self, path):
        self.conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout = 30000")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS results (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                          "topic TEXT, part INTEGER, off INTEGER, value TEXT, member TEXT)")
        self.conn.execute("CREATE TABLE IF NOT EXISTS offsets (topic TEXT, part INTEGER, next INTEGER, "
                          "PRIMARY KEY (topic, part))")

    def stored(self, topic, part):
        row = self.conn.execute("SELECT next FROM offsets WHERE topic = ? AND part = ?", (topic, part)).fetchone()
        return row[0] if row else None

    def store(self, topic, records, member, process_s):
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            nxt = {}
            for r in records:
                if process_s:
                    time.sleep(process_s)  # the "processing", inside the transaction
                self.conn.execute("INSERT INTO results (topic, part, off, value, member) VALUES (?, ?, ?, ?, ?)",
                                  (topic, r.partition, r.offset, r.value.decode(), member))
                nxt[r.partition] = r.offset + 1
            for p, o in nxt.items():
                self.conn.execute("INSERT INTO offsets (topic, part, next) VALUES (?, ?, ?) "
                                  "ON CONFLICT (topic, part) DO UPDATE SET next = excluded.next", (topic, p, o))
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return nxt


class Listener(ConsumerRebalanceListener):
    def __init__(self, args, db):
        self.args, self.db, self.consumer, self.owned = args, db, None, set()

    def on_partitions_revoked(self, revoked):
        parts = sorted(tp.partition for tp in revoked)
        self.owned -= set(parts)
        out(ev="revoked", parts=parts, owned=sorted(self.owned))

    def on_partitions_assigned(self, assigned):
        parts = sorted(tp.partition for tp in assigned)
        self.owned |= set(parts)
        seeks = {}
        if self.db is not None:  # the seed's exactly-once: start where the database says
            for tp in assigned:
                stored = self.db.stored(tp.topic, tp.partition)
                if stored is None:
                    self.consumer.seek_to_beginning(tp)
                else:
                    self.consumer.seek(tp, stored)
                seeks[str(tp.partition)] = stored
        out(ev="assigned", parts=parts, owned=sorted(self.owned), seeks=seeks)


def amo_process(consumer, batches, queue, args, state):
    """At-most-once with kafka-python's auto commit, which runs at the start of poll() and commits
    the positions after the records earlier polls returned: a record is processed only once the
    auto commit covers it, so any crash after that loses it rather than repeating it.
    Records a poll returns while others wait for their commit go back (seek), so the auto commit
    never covers more than the records in hand. (Pausing the partitions instead is not an option:
    kafka-python 2.0.2 then drops the rest of a buffered batch *and* moves the position past it.)"""
    for tp, records in sorted(batches.items()):
        if queue:
            # still waiting for the auto commit of the records in hand: give these back (the
            # position is what the next auto commit commits, so it must not run ahead of them)
            consumer.seek(tp, records[0].offset)
        else:
            queue.extend(records)
    committed = {}
    while queue:
        r = queue[0]
        tp = TopicPartition(r.topic, r.partition)
        if tp not in committed:
            committed[tp] = consumer.committed(tp) or 0
        if committed[tp] <= r.offset:
            return  # not committed yet: poll again
        queue.popleft()
        state["seen"] += 1
        if state.get("reported") != committed[tp]:
            out(ev="committed", offsets={str(tp.partition): committed[tp]})
            state["reported"] = committed[tp]
        if state["seen"] == args.crash_at:
            # lost with it: the records the auto commit covered that were not processed yet
            lost = [r.offset] + [q.offset for q in queue if q.partition == r.partition and q.offset < committed[tp]]
            crash(p=r.partition, o=r.offset, when="committed, not processed", lost=lost)
        if args.process_ms:
            time.sleep(args.process_ms / 1000.0)
        out(ev="rec", p=r.partition, o=r.offset, v=r.value.decode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--mode", default="watch", choices=("watch", "amo", "alo", "eos"))
    ap.add_argument("--session-ms", type=int, default=6000)
    ap.add_argument("--heartbeat-ms", type=int, default=1000)
    ap.add_argument("--assignor", choices=tuple(ASSIGNORS))
    ap.add_argument("--max-poll-records", type=int, default=0)
    ap.add_argument("--crash-at", type=int, default=0)
    ap.add_argument("--db")
    ap.add_argument("--process-ms", type=int, default=0)
    args = ap.parse_args()

    logging.basicConfig(stream=sys.stderr, level=os.environ.get("INTEROP_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1: thread dump on stderr
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    out(ev="start", client="kafka-python %s" % kafka.__version__, pid=os.getpid())

    conf = dict(group_id=args.group, bootstrap_servers=args.bootstrap, auto_offset_reset="earliest",
                session_timeout_ms=args.session_ms, heartbeat_interval_ms=args.heartbeat_ms,
                request_timeout_ms=max(30000, args.session_ms + 5000), client_id="interop-%d" % os.getpid())
    if args.assignor:
        conf["partition_assignment_strategy"] = [ASSIGNORS[args.assignor]]
    if args.max_poll_records:
        conf["max_poll_records"] = args.max_poll_records
    if args.mode == "amo":
        conf.update(enable_auto_commit=True, auto_commit_interval_ms=50)
    elif args.mode in ("alo", "eos"):
        conf.update(enable_auto_commit=False)
    db = Db(args.db) if args.mode == "eos" else None

    consumer = KafkaConsumer(**conf)
    listener = Listener(args, db)
    listener.consumer = consumer
    # Subscribe first, then make sure the consumer has metadata for the topic, before the first
    # poll() joins the group. kafka-python's coordinator keeps a metadata snapshot of the subscribed
    # topics, refreshed only when a Metadata response arrives; the leader records the snapshot it
    # assigned with, and rejoins when a later response differs. Fetched before subscribe(), the
    # partitions are in the cluster metadata but not in that snapshot; with a broker that completes
    # the join at once (group.initial.rebalance.delay.ms=0, as in Kafka's shipped server.properties)
    # the leader then assigns within the 100 ms metadata backoff, with an empty snapshot, and the
    # next Metadata response starts a second, spurious rebalance (seen with 3.0.12 against
    # Tributary on a loaded machine). Fetched after subscribe(), the snapshot covers the topic.
    consumer.subscribe([args.topic], listener=listener)
    end = time.monotonic() + 30
    while not consumer.partitions_for_topic(args.topic):
        if time.monotonic() > end:
            raise SystemExit("no metadata for topic %s after 30s" % args.topic)
        time.sleep(0.1)
    seen = 0
    member = "%d" % os.getpid()
    queue = collections.deque()  # amo: records returned by poll(), waiting for the auto commit
    state = {"seen": 0}
    while not stop:
        batches = consumer.poll(timeout_ms=100 if queue else 1000)
        if not batches and not queue:
            continue
        if args.mode == "eos":
            for tp, records in sorted(batches.items()):
                nxt = db.store(args.topic, records, member, args.process_ms / 1000.0)
                for r in records:
                    out(ev="rec", p=r.partition, o=r.offset, v=r.value.decode())
                out(ev="stored", offsets={str(p): o for p, o in nxt.items()})
            continue
        if args.mode == "amo":
            amo_process(consumer, batches, queue, args, state)
            continue
        for tp, records in sorted(batches.items()):
            for r in records:
                seen += 1
                if args.process_ms:
                    time.sleep(args.process_ms / 1000.0)
                out(ev="rec", p=r.partition, o=r.offset, v=r.value.decode())
                if args.mode == "alo" and seen == args.crash_at:
                    crash(p=r.partition, o=r.offset, when="processed, not committed")
        if args.mode == "alo":
            offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
            consumer.commit()  # commitSync of the positions: the batch just processed
            out(ev="committed", offsets={str(tp.partition): o for tp, o in offsets.items()})
    consumer.close()  # LeaveGroup: the group rebalances at once
    out(ev="closed")


if __name__ == "__main__":
    main()
