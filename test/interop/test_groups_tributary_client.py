"""Tributary's own consumer (src/client, in a classic group) sharing a group with kafka-python and
with the Java consumer, on the broker under test (Tributary, or Apache Kafka with
INTEROP_BROKER=kafka): the partitions split, each member reads only its own, and a graceful close
hands them over at once."""
import time

import pytest

import spec
from groups import SESSION_MS, create_topic, group_name, members, produce, wait_records, wait_split  # noqa: F401

pytestmark = pytest.mark.groups


@pytest.mark.parametrize("other", ["kafka-python", "java"])
def test_tributary_member_shares_a_group(bootstrap, members, other):
    topic, group = spec.topic_name("groups-tributary-" + other), group_name()
    create_topic(bootstrap, topic, 4)
    t = members.tributary(topic, group, name="tributary")
    o = members.python("3.x", topic, group, name="python") if other == "kafka-python" else members.java(topic, group, name="java")
    (ot, oo), _ = wait_split([t, o], 4, sizes=[2, 2])
    assert ot.isdisjoint(oo) and ot | oo == {0, 1, 2, 3}

    want = produce(bootstrap, topic, 4, 10)
    got = wait_records([t, o], want)
    for m, owned in ((t, ot), (o, oo)):
        assert {p for p, _, _ in got[m]} <= owned, "%s read a partition it does not own" % m.name

    t0 = time.monotonic()
    t.close()
    assert t.evs("closed"), t.describe()
    _, t1 = o.wait_for(lambda m: m.owned == {0, 1, 2, 3}, "the other member to take all 4 partitions", deadline_s=30)
    print("%s took over from Tributary's consumer in %.2fs" % (other, t1 - t0))
    assert t1 - t0 < SESSION_MS / 1000.0, "the handover waited for the session timeout: no LeaveGroup?"

