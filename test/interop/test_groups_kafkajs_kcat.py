"""KafkaJS 2.2.4's consumer group (js/group-consumer.mjs) and kcat's balanced consumer (-G,
librdkafka): two members split a 4-partition topic 2 + 2 and each consumes exactly the records of
its partitions; a crashed member's partitions move at the session timeout (KafkaJS, kill -9) and a
closed member's at once (LeaveGroup)."""
import time

import pytest

import spec
from groups import SESSION_MS, create_topic, group_name, members, produce, wait_records, wait_split  # noqa: F401

pytestmark = pytest.mark.groups


def check_split_records(bootstrap, topic, ms, owned, start, per_partition=5):
    want = produce(bootstrap, topic, 4, per_partition, start=start)
    got = wait_records(ms, want)
    for m, o in zip(ms, owned):
        new = sorted(r for r in got[m] if (r[0], r[1]) in want)
        assert new == sorted((p, off, v) for (p, off), v in want.items() if p in o), \
            "%s did not consume exactly the records of its partitions %s" % (m.name, sorted(o))
    return want


def test_kafkajs_group(bootstrap, members):
    topic, group = spec.topic_name("groups-kafkajs"), group_name("kafkajs")
    create_topic(bootstrap, topic, 4)
    a = members.kafkajs(topic, group, name="a")
    b = members.kafkajs(topic, group, name="b")
    (oa, ob), _ = wait_split([a, b], 4, sizes=[2, 2])
    assert a.evs("start")[0]["client"] == "kafkajs 2.2.4"
    check_split_records(bootstrap, topic, [a, b], [oa, ob], start=0)

    # kill -9: b's partitions come to a once b's session has expired
    t0 = b.kill9()
    _, t1 = a.wait_for(lambda m: m.owned == {0, 1, 2, 3}, "a to own all partitions", deadline_s=SESSION_MS / 1000.0 + 20)
    print("kafkajs: kill -9 handover took %.2fs (session timeout %.1fs)" % (t1 - t0, SESSION_MS / 1000.0))
    assert SESSION_MS / 1000.0 - 2.0 <= t1 - t0 <= SESSION_MS / 1000.0 + 5.0, "handover after %.2fs" % (t1 - t0)

    # a third member joins, then closes: its partitions come back at once
    c = members.kafkajs(topic, group, name="c")
    (oa, oc), _ = wait_split([a, c], 4, sizes=[2, 2])
    check_split_records(bootstrap, topic, [a, c], [oa, oc], start=5)
    t0 = time.monotonic()
    c.close()
    assert c.evs("closed"), c.describe()
    _, t1 = a.wait_for(lambda m: m.owned == {0, 1, 2, 3}, "a to own all partitions again", deadline_s=15)
    print("kafkajs: graceful handover took %.2fs" % (t1 - t0))
    assert t1 - t0 <= 5.0
    check_split_records(bootstrap, topic, [a], [frozenset(range(4))], start=10)


def test_kcat_balanced_consumer(bootstrap, members):
    topic, group = spec.topic_name("groups-kcat"), group_name("kcat")
    create_topic(bootstrap, topic, 4)
    a = members.kcat(topic, group, name="a")
    b = members.kcat(topic, group, name="b")
    (oa, ob), _ = wait_split([a, b], 4, sizes=[2, 2])
    check_split_records(bootstrap, topic, [a, b], [oa, ob], start=0)

    # SIGTERM: kcat closes its consumer (LeaveGroup); a gets b's partitions at once, and resumes them
    # from b's committed offsets (no record of b's again, none missed)
    t0 = time.monotonic()
    b.close()
    _, t1 = a.wait_for(lambda m: m.owned == {0, 1, 2, 3}, "a to own all partitions", deadline_s=15)
    print("kcat: graceful handover took %.2fs" % (t1 - t0))
    assert t1 - t0 <= 5.0
    before = len(a.records())
    want = check_split_records(bootstrap, topic, [a], [frozenset(range(4))], start=5)
    again = [r for r in a.records()[before:] if (r[0], r[1]) not in want]
    assert again == [], "a consumed b's already committed records again: %s" % again
