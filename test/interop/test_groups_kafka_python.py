"""The seed's consumer-group examples with kafka-python 2.0.2 and 3.x (py/group_consumer.py as
subprocesses, so kill -9 is real):
  - two consumers in my-group on a 4-partition topic split the partitions 2 + 2 and each gets
    exactly the records of its own partitions;
  - a third consumer on a 2-partition topic with two members gets nothing;
  - kill -9 of a member hands its partitions over at the session timeout (measured);
  - a graceful close (LeaveGroup) hands them over within a few seconds (measured).
"""
import time

import pytest

import spec
from groups import (HEARTBEAT_MS, PY_VERSIONS, SESSION_MS, create_topic, group_name, members,  # noqa: F401
                    produce, wait_records, wait_split)

pytestmark = pytest.mark.groups
VERSIONS = list(PY_VERSIONS)
GRACEFUL_HANDOVER_S = 5.0


def check_own_records(got, owned, want):
    """Each member processed only records of the partitions it owns, and together exactly want."""
    for m, recs in got.items():
        assert {p for p, _, _ in recs} <= owned[m], "%s got records of partitions it does not own" % m.name
    union = [r for recs in got.values() for r in recs]
    assert sorted(union) == sorted((p, o, v) for (p, o), v in want.items()), "records differ from those produced"


@pytest.mark.parametrize("version", VERSIONS)
def test_two_consumers_split_four_partitions(bootstrap, members, version):
    topic, group = spec.topic_name("groups-py-split"), group_name()
    create_topic(bootstrap, topic, 4)
    a = members.python(version, topic, group, name="a")
    b = members.python(version, topic, group, name="b")
    (oa, ob), _ = wait_split([a, b], 4, sizes=[2, 2])
    assert oa.isdisjoint(ob) and oa | ob == {0, 1, 2, 3}
    assert a.evs("start")[0]["client"].startswith("kafka-python " + version.rstrip(".x"))

    want = produce(bootstrap, topic, 4, 10)
    got = wait_records([a, b], want)
    check_own_records(got, {a: oa, b: ob}, want)
    assert (a.owned, b.owned) == (oa, ob), "no rebalance was expected:\n%s\n%s" % (a.describe(), b.describe())


@pytest.mark.parametrize("version", VERSIONS)
def test_third_consumer_on_two_partitions_gets_nothing(bootstrap, members, version):
    topic, group = spec.topic_name("groups-py-third"), group_name()
    create_topic(bootstrap, topic, 2)
    ms = [members.python(version, topic, group, name=n) for n in "abc"]
    owned, _ = wait_split(ms, 2, sizes=[1, 1, 0])
    idle = [m for m, o in zip(ms, owned) if not o]
    assert len(idle) == 1
    [idle] = idle
    assert idle.evs("assigned"), "the idle member never completed a rebalance"

    want = produce(bootstrap, topic, 2, 10)
    got = wait_records(ms, want)
    check_own_records(got, dict(zip(ms, owned)), want)
    assert got[idle] == [], "the member without partitions consumed records"
    assert [m.owned for m in ms] == owned, "no rebalance was expected:\n" + "\n".join(m.describe() for m in ms)


def handover(bootstrap, members, version, how):
    topic, group = spec.topic_name("groups-py-%s" % how), group_name()
    create_topic(bootstrap, topic, 4)
    a = members.python(version, topic, group, name="a")
    b = members.python(version, topic, group, name="b")
    (oa, ob), _ = wait_split([a, b], 4, sizes=[2, 2])
    want = produce(bootstrap, topic, 4, 5)
    wait_records([a, b], want)

    t0 = time.monotonic()
    if how == "kill9":
        b.kill9()
    else:
        b.close()
        assert b.evs("closed") and b.proc.returncode == 0, b.describe()
    _, t1 = a.wait_for(lambda m: m.owned == {0, 1, 2, 3}, "a to take over all 4 partitions",
                       deadline_s=SESSION_MS / 1000.0 + 30)
    took = t1 - t0
    # b's partitions resume where b's commits left them: a gets the records produced now
    more = produce(bootstrap, topic, 4, 5, start=5)
    a.wait_for(lambda m: {(p, o) for p, o, _ in m.records()} >= set(more), "a to consume after the handover")
    print("kafka-python %s: handover after %s took %.2fs (session timeout %.1fs)"
          % (version, how, took, SESSION_MS / 1000.0))
    return took


@pytest.mark.parametrize("version", VERSIONS)
def test_kill9_hands_partitions_over_at_session_timeout(bootstrap, members, version):
    took = handover(bootstrap, members, version, "kill9")
    session = SESSION_MS / 1000.0
    # The coordinator notices a dead member only when its session expires: after the last heartbeat
    # (at most one heartbeat interval before the kill) plus the session timeout; then a's next
    # heartbeat learns of the rebalance and it rejoins.
    assert took >= session - HEARTBEAT_MS / 1000.0 - 0.5, "handover %.2fs: sooner than the session timeout" % took
    assert took <= session + 5.0, "handover %.2fs: later than session timeout %.1fs + 5s" % (took, session)


@pytest.mark.parametrize("version", VERSIONS)
def test_graceful_close_hands_partitions_over_at_once(bootstrap, members, version):
    took = handover(bootstrap, members, version, "close")
    assert took <= GRACEFUL_HANDOVER_S, "graceful handover took %.2fs" % took
