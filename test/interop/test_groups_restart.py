"""Committed offsets resume a group after the broker restarts on the same data directory: once
after a clean shutdown and once after kill -9 of the broker. A kafka-python 2.0.2 member commits
after processing (commitSync) and closes; after each restart a new member of the same group gets
exactly the records produced since, none of the committed ones again."""
import time

import pytest

import spec
from groups import create_topic, group_name, members, produce, wait_records  # noqa: F401

pytestmark = [pytest.mark.groups, pytest.mark.slow]
PARTS = 2
PER = 10


def consume_new(members, broker, topic, group, name, start):
    """A member of group that must process exactly the records start..start+PER-1 of each partition
    and commit them; then it closes."""
    want = produce(broker.addr, topic, PARTS, PER, start=start)
    m = members.python("2.0.2", topic, group, name=name, mode="alo")
    got = wait_records([m], want, deadline_s=60)[m]
    assert sorted(got) == sorted((p, o, v) for (p, o), v in want.items()), \
        "%s got %d records, want exactly the %d new ones (committed ones again?)" % (name, len(got), len(want))

    def committed():
        offsets = {}
        for e in m.evs("committed"):
            offsets.update(e["offsets"])
        return offsets == {str(p): start + PER for p in range(PARTS)}
    m.wait_for(lambda _: committed(), "%s to commit offset %d on every partition" % (name, start + PER))
    m.close()
    assert m.proc.returncode == 0, m.describe()


def test_committed_offsets_survive_broker_restarts(restartable_broker, members):
    broker = restartable_broker
    members.bootstrap = broker.addr
    topic, group = spec.topic_name("groups-restart"), group_name("restart")
    create_topic(broker.addr, topic, PARTS)
    consume_new(members, broker, topic, group, "before", 0)

    for n, kill in enumerate((False, True), 1):
        t0 = time.monotonic()
        broker.restart(kill=kill)
        print("broker restart (%s) took %.1fs" % ("kill -9" if kill else "clean", time.monotonic() - t0))
        consume_new(members, broker, topic, group, "after-%s" % ("kill9" if kill else "restart"), n * PER)
