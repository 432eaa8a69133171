"""The Java consumer (kafka-clients 4.x, test/interop/java GroupClient) in groups of 2-3 members:
  - with each client-side assignor (partition.assignment.strategy range, roundrobin, sticky,
    cooperative-sticky) on the classic protocol: disjoint full coverage as members join and leave,
    each assignor's shape, the sticky ones keeping partitions, and cooperative-sticky revoking only
    the partitions that move (members keep the others across the rebalance);
  - with group.protocol=consumer (KIP-848, server-side assignor) through joins, a graceful leave
    and a kill -9.
"""
import time

import pytest

import spec
from groups import SESSION_MS, create_topic, group_name, members, produce, wait_records, wait_split  # noqa: F401

pytestmark = pytest.mark.groups
PARTS = 6
KIP848_SESSION_S = 10.0  # group.consumer.session.timeout.ms the suite's brokers run with (conftest)


def revoked_since(m, i):
    """Partitions m reported revoked in events i.. ."""
    out = []
    for e in m.evs()[i:]:
        if e["ev"] in ("revoked", "lost"):
            out.extend(e["parts"])
    return out


def check_shape(strategy, owned):
    for o in owned:
        ps = sorted(o)
        if strategy == "range":  # one topic: each member a contiguous block
            assert ps == list(range(ps[0], ps[0] + len(ps))), "range gave %s" % owned
        if strategy == "roundrobin":  # members in turn: each member's partitions one stride apart
            assert all(b - a == len(owned) for a, b in zip(ps, ps[1:])), "roundrobin gave %s" % owned


def check_records(bootstrap, topic, ms, owned, start):
    want = produce(bootstrap, topic, PARTS, 4, start=start)
    got = wait_records(ms, want)
    for m, o in zip(ms, owned):
        mine = sorted((p, off, v) for p, off, v in got[m] if (p, off) in want)
        assert mine == sorted((p, off, v) for (p, off), v in want.items() if p in o), \
            "%s did not get exactly the records of its partitions %s" % (m.name, sorted(o))


@pytest.mark.parametrize("strategy", ["range", "roundrobin", "sticky", "cooperative-sticky"])
def test_assignor(bootstrap, members, strategy):
    topic, group = spec.topic_name("groups-java-%s" % strategy), group_name("java-%s" % strategy)
    create_topic(bootstrap, topic, PARTS)
    sticky = strategy in ("sticky", "cooperative-sticky")
    cooperative = strategy == "cooperative-sticky"

    j1 = members.java(topic, group, name="j1", strategy=strategy)
    wait_split([j1], PARTS)
    assert j1.evs("start")[0]["client"].startswith("java kafka-clients 4.")

    mark = [len(j1.evs())]
    j2 = members.java(topic, group, name="j2", strategy=strategy)
    (o1, o2), _ = wait_split([j1, j2], PARTS, sizes=[3, 3])
    check_shape(strategy, [o1, o2])
    if cooperative:  # j1 gave up only what j2 got, and never its other three
        assert sorted(revoked_since(j1, mark[0])) == sorted(o2)

    mark = [len(j1.evs()), len(j2.evs())]
    j3 = members.java(topic, group, name="j3", strategy=strategy)
    (n1, n2, n3), _ = wait_split([j1, j2, j3], PARTS, sizes=[2, 2, 2])
    check_shape(strategy, [n1, n2, n3])
    if sticky:  # the members keep partitions they had
        assert n1 <= o1 and n2 <= o2, "not sticky: %s, %s -> %s, %s" % (sorted(o1), sorted(o2), sorted(n1), sorted(n2))
    r1, r2 = revoked_since(j1, mark[0]), revoked_since(j2, mark[1])
    if cooperative:  # incremental: only the partitions moving to j3 were revoked
        assert sorted(r1 + r2) == sorted(n3), "cooperative revoked %s, %s for j3's %s" % (r1, r2, sorted(n3))
    else:  # eager: every member gives up everything at each rebalance
        assert sorted(r1) == sorted(o1) and sorted(r2) == sorted(o2)
    check_records(bootstrap, topic, [j1, j2, j3], [n1, n2, n3], start=0)

    # j2 leaves gracefully: the others split its partitions at once (no session timeout)
    t0 = time.monotonic()
    j2.close()
    (m1, m3), t1 = wait_split([j1, j3], PARTS, sizes=[3, 3], deadline_s=15)
    print("java %s: graceful leave handled in %.2fs" % (strategy, time.monotonic() - t0))
    check_shape(strategy, [m1, m3])
    if sticky:
        assert n1 <= m1 and n3 <= m3
    if cooperative:
        # ... and a crash: j3's partitions come to j1 at the session timeout, j1 keeping its own
        mark = len(j1.evs())
        t0 = j3.kill9()
        _, t1 = j1.wait_for(lambda m: m.owned == frozenset(range(PARTS)), "j1 to own all partitions",
                            deadline_s=SESSION_MS / 1000.0 + 20)
        print("java %s: kill -9 handover took %.2fs" % (strategy, t1 - t0))
        assert t1 - t0 <= SESSION_MS / 1000.0 + 5.0
        assert revoked_since(j1, mark) == [], "j1 gave up partitions it kept"
        check_records(bootstrap, topic, [j1], [frozenset(range(PARTS))], start=4)


@pytest.mark.kip848
@pytest.mark.slow
def test_consumer_protocol_group_of_three(bootstrap, members):
    """group.protocol=consumer: the broker assigns (uniform, sticky); members reconcile one by one."""
    topic, group = spec.topic_name("groups-java-kip848"), group_name("java-kip848")
    create_topic(bootstrap, topic, PARTS)
    opts = dict(protocol="consumer")

    j1 = members.java(topic, group, name="j1", **opts)
    wait_split([j1], PARTS, deadline_s=45)
    assert j1.evs("start")[0]["protocol"] == "consumer"
    j2 = members.java(topic, group, name="j2", **opts)
    (a1, a2), _ = wait_split([j1, j2], PARTS, sizes=[3, 3], deadline_s=45)
    j3 = members.java(topic, group, name="j3", **opts)
    (b1, b2, b3), _ = wait_split([j1, j2, j3], PARTS, sizes=[2, 2, 2], deadline_s=45)
    assert b1 <= a1 and b2 <= a2, "the uniform assignor moved partitions between members that stay"
    check_records(bootstrap, topic, [j1, j2, j3], [b1, b2, b3], start=0)

    # a graceful leave: its partitions move at once
    t0 = time.monotonic()
    j2.close()
    (c1, c3), t1 = wait_split([j1, j3], PARTS, sizes=[3, 3], deadline_s=30)
    print("java consumer protocol: graceful leave handled in %.2fs" % (t1 - t0))
    assert t1 - t0 <= 10
    assert b1 <= c1 and b3 <= c3

    # a new member joins, then one crashes: fenced at the session timeout, its partitions reassigned
    j4 = members.java(topic, group, name="j4", **opts)
    (d1, d3, d4), _ = wait_split([j1, j3, j4], PARTS, sizes=[2, 2, 2], deadline_s=45)
    t0 = j3.kill9()
    (e1, e4), t1 = wait_split([j1, j4], PARTS, sizes=[3, 3], deadline_s=KIP848_SESSION_S + 30)
    took = t1 - t0
    print("java consumer protocol: kill -9 handover took %.2fs (session timeout %.0fs)" % (took, KIP848_SESSION_S))
    assert KIP848_SESSION_S - 2.5 <= took <= KIP848_SESSION_S + 8, "handover after %.2fs" % took
    assert d1 <= e1 and d4 <= e4
    check_records(bootstrap, topic, [j1, j4], [e1, e4], start=4)


@pytest.mark.kip848
def test_consumer_protocol_regex_subscription(bootstrap, members):
    """ConsumerGroupHeartbeat v1's SubscribedTopicRegex, as the Java consumer sends it for
    subscribe(SubscriptionPattern): the broker resolves the RE2/J regex (here with syntax
    JavaScript's RegExp lacks: (?i) and \\Q...\\E), the members split the matching topics' partitions,
    a topic created later that matches joins the assignment, a leaving member's partitions move,
    and a regex RE2/J refuses fails the member with InvalidRegularExpression and Kafka's message."""
    base = spec.topic_name("rx")
    topics = {s: "%s-%s" % (base, s) for s in "abcz"}
    for s in "abz":
        create_topic(bootstrap, topics[s], 2)
    pattern = r"(?i)\Q%s\E-[A-C]" % base.upper()
    group = group_name("java-rx")
    opts = dict(protocol="consumer", pattern=pattern)
    parts = lambda names: frozenset("%s:%d" % (topics[s], p) for s in names for p in range(2))  # noqa: E731

    j1 = members.java(None, group, name="j1", **opts)
    j1.wait_for(lambda m: m.owned == parts("ab"), "j1 to own the partitions of %s-a and -b" % base, deadline_s=45)
    j2 = members.java(None, group, name="j2", **opts)

    def split(want, sizes):
        def ok(_):
            o1, o2 = j1.owned, j2.owned
            if o1 is None or o2 is None or o1 & o2 or o1 | o2 != want or sorted((len(o1), len(o2))) != sizes:
                return None
            return o1, o2
        return j1.wait_for(ok, "j1 and j2 to split %s" % sorted(want), deadline_s=60, others=[j2])[0]

    split(parts("ab"), [2, 2])
    create_topic(bootstrap, topics["c"], 2)  # matches: the broker's regex resolution picks it up
    o1, o2 = split(parts("abc"), [3, 3])

    want = {}
    for s in "abcz":
        for (p, o), v in produce(bootstrap, topics[s], 2, 2).items():
            want[(topics[s], p, o)] = v
    expected = {k: v for k, v in want.items() if not k[0].endswith("-z")}

    def got(_):
        recs = {}
        for m in (j1, j2):
            for e in m.evs("rec"):
                recs[(e["t"], e["p"], e["o"])] = (m, e["v"])
        return recs if set(recs) >= set(expected) else None
    recs, _ = j1.wait_for(got, "%d records of the matching topics" % len(expected), others=[j2])
    assert not any(t.endswith("-z") for t, _, _ in recs), "a topic the regex does not match was consumed"
    for (t, p, o), (m, v) in recs.items():
        assert v == expected[(t, p, o)]
        assert "%s:%d" % (t, p) in (o1 if m is j1 else o2), "%s consumed %s:%d, which it does not own" % (m.name, t, p)

    j2.close()
    j1.wait_for(lambda m: m.owned == parts("abc"), "j1 to own every partition after j2 left", deadline_s=30)

    bad = members.java(None, group_name("java-rx-bad"), name="bad", protocol="consumer", pattern="orders-(?=x)")
    errs, _ = bad.wait_for(lambda m: m.evs("error"), "the member to fail on its regex", deadline_s=45)
    assert errs[0]["class"] == "org.apache.kafka.common.errors.InvalidRegularExpression", errs
    # the broker's message, after the client's "Invalid RE2J SubscriptionPattern provided ..."
    assert errs[0]["msg"].endswith("SubscribedTopicRegex `orders-(?=x)` is not a valid regular expression: "
                                   "invalid or unsupported Perl syntax."), errs
