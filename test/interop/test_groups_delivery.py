"""The seed's three delivery semantics ("kafka consumer": at most once, at least once, exactly once),
each end to end with a crash (SIGKILL) in the middle, with kafka-python (2.0.2 and 3.x), KafkaJS
and the Java client (py/group_consumer.py, js/group-consumer.mjs, java GroupClient):

  at-most-once   auto commit with a short interval, the commit before processing: the member
                 dies after its record was committed and before it was processed; a new member
                 resumes after it. That record is lost, and nothing is processed twice.
  at-least-once  auto commit off, commitSync after processing: the member dies after processing
                 records and before committing them; a new member gets them again. Nothing is
                 lost; the only duplicates are exactly the records processed after the last commit.
  exactly-once   (kafka-python and Java: SQLite through the stdlib and sqlite-jdbc) results and
                 next offsets in one database transaction, a rebalance listener seeking to the
                 stored offsets on assignment; three members, three of them killed mid-stream one
                 after another and replaced: the database holds every record once, no gap.
"""
import collections
import os
import random
import sqlite3
import time

import pytest

import spec
from groups import SESSION_MS, create_topic, group_name, members, produce, value  # noqa: F401

pytestmark = pytest.mark.groups
COUNT = 20
CRASH_AT = 8  # the member dies at its 8th record
CLIENTS = ["kafka-python-2.0.2", "kafka-python-3.x", "kafkajs", "java"]


def start(members, client, topic, group, name, **opts):
    if client.startswith("kafka-python-"):
        return members.python(client.rsplit("-", 1)[1], topic, group, name=name, **opts)
    if client == "kafkajs":
        opts.pop("max_poll_records", None)  # KafkaJS hands over whole fetched batches
        return members.kafkajs(topic, group, name=name, **opts)
    return members.java(topic, group, name=name, **opts)


def crash_then_resume(bootstrap, members, client, mode, max_poll_records):
    topic, group = spec.topic_name("groups-%s-%s" % (mode, client.replace(".", ""))), group_name(mode)
    create_topic(bootstrap, topic, 1)
    want = produce(bootstrap, topic, 1, COUNT)
    a = start(members, client, topic, group, "a", mode=mode, crash_at=CRASH_AT, max_poll_records=max_poll_records)
    rc = a.wait_exit(deadline_s=45)
    assert rc == -9, "the member was to SIGKILL itself at its record %d (exit %s)\n%s" % (CRASH_AT, rc, a.describe())
    [crash] = a.evs("crash")
    b = start(members, client, topic, group, "b", mode=mode, max_poll_records=max_poll_records)
    b.wait_for(lambda m: any(o == COUNT - 1 for _, o, _ in m.records()), "b to process up to the last record",
               deadline_s=SESSION_MS / 1000.0 + 40)
    for r in a.records() + b.records():
        assert want[(r[0], r[1])] == r[2], "record %r differs from what was produced" % (r,)
    return a, b, crash, want


@pytest.mark.parametrize("client", CLIENTS)
def test_at_most_once(bootstrap, members, client):
    a, b, crash, want = crash_then_resume(bootstrap, members, client, "amo", max_poll_records=1)
    assert (crash["p"], crash["o"]) == (0, CRASH_AT - 1) and crash["when"] == "committed, not processed"
    # lost: the record in hand, committed and not processed (the members take one record at a
    # time and never let the commit run ahead of it)
    lost = crash["lost"]
    assert lost == [CRASH_AT - 1], lost
    committed = lost[-1] + 1
    assert a.evs("committed")[-1]["offsets"] == {"0": committed}
    assert [o for _, o, _ in a.records()] == list(range(CRASH_AT - 1))
    # b resumed at the committed offset: after the lost records
    assert [o for _, o, _ in b.records()] == list(range(committed, COUNT))
    processed = [(p, o) for p, o, _ in a.records() + b.records()]
    assert len(processed) == len(set(processed)), "at-most-once processed a record twice"
    assert set(want) - set(processed) == {(0, o) for o in lost}, "lost more than the committed, unprocessed records"


@pytest.mark.parametrize("client", CLIENTS)
def test_at_least_once(bootstrap, members, client):
    a, b, crash, want = crash_then_resume(bootstrap, members, client, "alo", max_poll_records=5)
    assert (crash["p"], crash["o"]) == (0, CRASH_AT - 1) and crash["when"] == "processed, not committed"
    assert [o for _, o, _ in a.records()] == list(range(CRASH_AT))
    commits = a.evs("committed")
    last_commit = commits[-1]["offsets"]["0"] if commits else 0
    assert last_commit < CRASH_AT
    uncommitted = list(range(last_commit, CRASH_AT))  # processed by a, never committed
    # b starts at a's last commit: a's uncommitted records come again, then the rest, in order
    assert [o for _, o, _ in b.records()] == list(range(last_commit, COUNT))
    processed = collections.Counter((p, o) for p, o, _ in a.records() + b.records())
    assert set(processed) == set(want), "at-least-once lost records"
    assert sorted(o for (_, o), n in processed.items() if n > 1) == uncommitted, \
        "duplicates beyond the crashed batch"
    assert all(n <= 2 for n in processed.values())


# ---- the seed's exactly-once: offsets stored with the results ----

EOS_PARTS = 3
EOS_PER_PARTITION = 150
KILLS = 3


def db_state(path):
    with sqlite3.connect(path, timeout=30) as conn:
        conn.execute("PRAGMA busy_timeout = 30000")
        rows = conn.execute("SELECT part, off, value FROM results").fetchall()
        offsets = dict(conn.execute("SELECT part, next FROM offsets").fetchall())
    return rows, offsets


@pytest.mark.slow
@pytest.mark.parametrize("client", ["kafka-python-2.0.2", "java"])
def test_exactly_once_with_offsets_in_sqlite(bootstrap, members, client):
    topic, group = spec.topic_name("groups-eos-%s" % client.replace(".", "")), group_name("eos")
    create_topic(bootstrap, topic, EOS_PARTS)
    want = produce(bootstrap, topic, EOS_PARTS, EOS_PER_PARTITION)
    total = len(want)
    db = os.path.join(members.tmp, "results.db")
    opts = dict(mode="eos", db=db, process_ms=10, max_poll_records=10)
    live = [start(members, client, topic, group, "m%d" % i, **opts) for i in range(3)]
    rng = random.Random(1234)

    def stored():
        if not os.path.exists(db):
            return 0
        try:
            return len(db_state(db)[0])
        except sqlite3.OperationalError:  # the members are still creating the tables
            return 0

    kills = []
    for k in range(KILLS):
        threshold = total * (k + 1) // (KILLS + 2)
        spec.poll_until(lambda: stored() >= threshold, "%d results in the database" % threshold,
                        deadline_s=SESSION_MS / 1000.0 + 45)
        # kill -9 a member that is storing results right now, and start another in its place
        busy = [m for m in live if m.owned and len(m.evs("stored")) > 0] or live
        victim = rng.choice(busy)
        victim.kill9()
        kills.append((victim.name, stored(), sorted(victim.owned or ())))
        live.remove(victim)
        live.append(start(members, client, topic, group, "m%d" % (KILLS + k), **opts))

    spec.poll_until(lambda: db_state(db)[1] == {p: EOS_PER_PARTITION for p in range(EOS_PARTS)},
                    "the stored offsets to reach the end of every partition",
                    deadline_s=SESSION_MS / 1000.0 + 60)
    for m in live:
        m.close()
    rows, offsets = db_state(db)
    print("exactly-once (%s): %d kills at %s results; %d rows" % (client, len(kills), [s for _, s, _ in kills], len(rows)))
    assert all(s < total for _, s, _ in kills), "a kill came after the stream had ended: %s" % kills
    # no duplicate, no gap: every record exactly once, with the value produced
    seen = collections.Counter((p, o) for p, o, _ in rows)
    dups = sorted(k for k, n in seen.items() if n > 1)
    assert not dups, "duplicates in the database: %s" % dups[:20]
    missing = sorted(set(want) - set(seen))
    assert not missing, "gaps in the database: %s" % missing[:20]
    assert sorted(rows) == sorted((p, o, v) for (p, o), v in want.items())
    assert offsets == {p: EOS_PER_PARTITION for p in range(EOS_PARTS)}
    # the killed members' partitions were picked up where the database said
    resumed = [e for m in members.all for e in m.evs("assigned") if any(v not in (None, -1) for v in e["seeks"].values())]
    assert resumed, "no member resumed a partition from a stored offset"
