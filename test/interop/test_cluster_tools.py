"""Tributary's cluster tools (bin/kafka-topics.sh, kafka-leader-election.sh, kafka-reassign-partitions.sh)
against a three-broker cluster (cluster.py; for now Apache Kafka 4.3.1 with INTEROP_BROKER=kafka),
their output checked line by line and, where the cluster's state makes it deterministic, against what
Kafka's own tools print for the same state: create with --replication-factor 3, describe, the
replication reports while a node is down, a preferred leader election after a kill and restart, a
reassignment's generate/execute/verify round and a throttled one listed, described and cancelled.

Three JVMs: on a shared machine run under `flock /tmp/heavy.lock`.
"""
import json
import os
import re
import subprocess

import pytest

import spec
from cluster import cluster, kafka_tool  # noqa: F401  (cluster is a fixture)
from conftest import ROOT

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.timeout(600)]

BIN = os.path.join(ROOT, "bin")
TOPIC_COMMAND = "org.apache.kafka.tools.TopicCommand"
ELECTION_COMMAND = "org.apache.kafka.tools.LeaderElectionCommand"
REASSIGN_COMMAND = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand"
FENCE_S = 60  # a killed node is fenced (and leaves the ISR) after broker.session.timeout.ms, 9 s by default


def tool(name, *args, ok=True, timeout=120):
    res = subprocess.run([os.path.join(BIN, name), *args], cwd=ROOT, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=timeout)
    if ok:
        assert res.returncode == 0, "%s %s exited %d\nstdout:\n%s\nstderr:\n%s" % (
            name, " ".join(args), res.returncode, res.stdout, res.stderr)
    return res


def topics(c, *args, ok=True):
    return tool("kafka-topics.sh", "--bootstrap-server", c.bootstrap, *args, ok=ok)


def reference(main_class, c, *args):
    """Kafka's own tool's result for the same command, or None when its jars are not cached."""
    return kafka_tool(main_class, "--bootstrap-server", c.bootstrap, *args)


def same_describe_as_kafka(c, *args):
    """Our kafka-topics --describe and Kafka's TopicCommand print the same, while the state they
    show may still move (an ISR growing during a reassignment): ours, Kafka's, ours again; compared
    once both of ours agree, so the three saw one state. Returns our output."""
    out = topics(c, "--describe", *args).stdout
    for _ in range(10):
        ref = reference(TOPIC_COMMAND, c, "--describe", *args)
        if ref is None:
            return out
        again = topics(c, "--describe", *args).stdout
        if again == out:
            assert ref.stdout == out
            return out
        out = again
    pytest.fail("the topic's description kept changing:\n" + out)


PARTITION_LINE = re.compile(
    r"^\tTopic: (?P<topic>\S+)\tPartition: (?P<partition>\d+)\tLeader: (?P<leader>\d+|none)\tReplicas: (?P<replicas>[\d,]*)"
    r"\tIsr: (?P<isr>[\d,]*)(?:\tAdding Replicas: (?P<adding>[\d,]*)\tRemoving Replicas: (?P<removing>[\d,]*))?"
    r"\tElr: (?P<elr>[\d,]*|N/A)\tLastKnownElr: (?P<lastKnownElr>[\d,]*|N/A)$")


def ids(text):
    return [int(x) for x in text.split(",") if x]


def partitions(out):
    """The partition lines of --describe output, parsed; every line must be one (or a summary line)."""
    parsed = []
    for line in out.splitlines():
        if line.startswith("Topic: "):
            continue
        m = PARTITION_LINE.match(line)
        assert m, "not a partition line as Kafka prints it: %r" % line
        parsed.append({"topic": m["topic"], "partition": int(m["partition"]),
                       "leader": None if m["leader"] == "none" else int(m["leader"]),
                       "replicas": ids(m["replicas"]), "isr": ids(m["isr"]), "elr": m["elr"],
                       "adding": m["adding"], "removing": m["removing"]})
    return parsed


def describe(c, topic):
    return partitions(topics(c, "--describe", "--topic", topic).stdout)


def same_lines(ours, theirs):
    """Kafka prints topics (and elected partitions) in hash order: compare the lines as multisets."""
    assert sorted(ours.splitlines()) == sorted(theirs.splitlines()), "ours:\n%s\nKafka's:\n%s" % (ours, theirs)


def write_json(tmp_path, name, doc):
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return str(p)


def test_create_with_replication_factor_3_and_describe(cluster):  # noqa: F811
    t = spec.topic_name("rf3")
    assert topics(cluster, "--create", "--topic", t, "--partitions", "3", "--replication-factor", "3",
                  "--config", "min.insync.replicas=2").stdout == "Created topic %s.\n" % t
    out = topics(cluster, "--describe", "--topic", t).stdout
    summary = out.splitlines()[0]
    assert re.match(r"^Topic: %s\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: (.*,)?min\.insync\.replicas=2(,.*)?$"
                    % re.escape(t), summary), summary
    parts = partitions(out)
    assert [p["partition"] for p in parts] == [0, 1, 2]
    for p in parts:
        assert len(p["replicas"]) == 3 and sorted(p["replicas"]) == [1, 2, 3], p
        assert p["leader"] == p["replicas"][0] and sorted(p["isr"]) == [1, 2, 3], p
        assert p["elr"] != "N/A", "Kafka 4.3 reports eligible leader replicas (DescribeTopicPartitions)"
    assert len({p["leader"] for p in parts}) == 3, "leaders spread over the three brokers"
    ref = reference(TOPIC_COMMAND, cluster, "--describe", "--topic", t)
    if ref is not None:
        assert out == ref.stdout

    m = spec.topic_name("manual")
    assert topics(cluster, "--create", "--topic", m, "--replica-assignment", "3:1,1:2").stdout == "Created topic %s.\n" % m
    assert [p["replicas"] for p in describe(cluster, m)] == [[3, 1], [1, 2]]
    bad = topics(cluster, "--create", "--topic", spec.topic_name("bad"), "--replica-assignment", "1:9", ok=False)
    assert (bad.returncode, bad.stdout) == (1, "Error while executing topic command : The manual partition assignment "
                                                "includes broker 9, but no such broker is registered.\n")


def test_replication_reports_while_a_node_is_down(cluster):  # noqa: F811
    u, s = spec.topic_name("urp"), spec.topic_name("solo")
    topics(cluster, "--create", "--topic", u, "--replica-assignment", "1:2:3,2:3:1", "--config", "min.insync.replicas=2")
    topics(cluster, "--create", "--topic", s, "--replica-assignment", "3")
    both = "%s|%s" % (u, s)

    def report(flag):
        return topics(cluster, "--describe", "--topic", both, flag).stdout

    assert report("--under-replicated-partitions") == ""
    cluster.kill(3)
    try:
        spec.poll_until(lambda: len(partitions(report("--under-replicated-partitions"))) == 3,
                        "node 3 to leave the ISR of the three partitions it holds", FENCE_S, interval=1)
        under = partitions(report("--under-replicated-partitions"))
        assert sorted((p["topic"], p["partition"], sorted(p["isr"])) for p in under) == sorted(
            [(u, 0, [1, 2]), (u, 1, [1, 2]), (s, 0, [])]), under
        offline = report("--unavailable-partitions")
        assert offline == "\tTopic: %s\tPartition: 0\tLeader: none\tReplicas: 3\tIsr: \tElr: 3\tLastKnownElr: 3\n" % s
        assert report("--under-min-isr-partitions") == offline, "no leader counts as under min ISR"
        assert sorted((p["topic"], p["partition"]) for p in partitions(report("--at-min-isr-partitions"))) == [(u, 0), (u, 1)]
        for flag in ("--under-replicated-partitions", "--unavailable-partitions", "--under-min-isr-partitions",
                     "--at-min-isr-partitions"):
            ref = reference(TOPIC_COMMAND, cluster, "--describe", "--topic", both, flag)
            if ref is not None:
                same_lines(report(flag), ref.stdout)
    finally:
        cluster.restart(3)
    spec.poll_until(lambda: report("--under-replicated-partitions") == "", "node 3 back in every ISR", FENCE_S, interval=1)


def test_preferred_leader_election_after_kill_and_restart(cluster, tmp_path):  # noqa: F811
    t = spec.topic_name("elect")
    topics(cluster, "--create", "--topic", t, "--replica-assignment", "1:2:3,2:3:1,3:1:2")
    assert [p["leader"] for p in describe(cluster, t)] == [1, 2, 3]
    cluster.kill(1)
    try:
        spec.poll_until(lambda: describe(cluster, t)[0]["leader"] not in (None, 1),
                        "partition 0 to get another leader than node 1", FENCE_S, interval=1)
    finally:
        cluster.restart(1)
    spec.poll_until(lambda: all(1 in p["isr"] for p in describe(cluster, t)), "node 1 back in every ISR", FENCE_S, interval=1)
    assert describe(cluster, t)[0]["leader"] != 1, "no automatic rebalance yet (leader.imbalance.check.interval.seconds)"

    parts = write_json(tmp_path, "elect.json", {"partitions": [{"topic": t, "partition": p} for p in range(3)]})
    elected = tool("kafka-leader-election.sh", "--bootstrap-server", cluster.bootstrap, "--election-type", "preferred",
                   "--path-to-json-file", parts)
    assert elected.stdout == ("Successfully completed leader election (PREFERRED) for partitions %s-0\n"
                              "Valid replica already elected for partitions %s-1, %s-2\n" % (t, t, t)), elected.stdout
    assert [p["leader"] for p in describe(cluster, t)] == [1, 2, 3], "the preferred leader is back"

    again = tool("kafka-leader-election.sh", "--bootstrap-server", cluster.bootstrap, "--election-type", "PREFERRED",
                 "--path-to-json-file", parts)
    assert again.stdout == "Valid replica already elected for partitions %s-0, %s-1, %s-2\n" % (t, t, t)
    ref = reference(ELECTION_COMMAND, cluster, "--election-type", "preferred", "--path-to-json-file", parts)
    if ref is not None:
        prefix = "Valid replica already elected for partitions "
        assert ref.stdout.startswith(prefix) and sorted(ref.stdout[len(prefix):].strip().split(", ")) == sorted(
            again.stdout[len(prefix):].strip().split(", "))

    unknown = tool("kafka-leader-election.sh", "--bootstrap-server", cluster.bootstrap, "--election-type", "preferred",
                   "--topic", "no-such-topic", "--partition", "0", ok=False)
    assert unknown.returncode == 1
    assert unknown.stdout == ("Error completing leader election (PREFERRED) for partition: no-such-topic-0: "
                              "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: No such topic as no-such-topic\n")
    assert unknown.stderr == "1 replica(s) could not be elected\n"
    ref = reference(ELECTION_COMMAND, cluster, "--election-type", "preferred", "--topic", "no-such-topic", "--partition", "0")
    if ref is not None:
        assert (ref.returncode, ref.stdout) == (1, unknown.stdout)


def test_reassignment_generate_execute_verify(cluster, tmp_path):  # noqa: F811
    t = spec.topic_name("move")
    topics(cluster, "--create", "--topic", t, "--replica-assignment", "1:2,2:1")
    b = ["--bootstrap-server", cluster.bootstrap]
    to_move = write_json(tmp_path, "topics.json", {"topics": [{"topic": t}], "version": 1})
    gen = tool("kafka-reassign-partitions.sh", *b, "--generate", "--topics-to-move-json-file", to_move, "--broker-list", "2,3")
    lines = gen.stdout.split("\n")
    assert lines[0] == "Current partition replica assignment" and lines[2:4] == ["", "Proposed partition reassignment configuration"]
    assert lines[5:] == [""], gen.stdout
    current = json.loads(lines[1])
    assert [(p["topic"], p["partition"], p["replicas"]) for p in current["partitions"]] == [(t, 0, [1, 2]), (t, 1, [2, 1])]
    assert all(os.path.isabs(d) for p in current["partitions"] for d in p["log_dirs"]), "each replica's log dir"
    ref = reference(REASSIGN_COMMAND, cluster, "--generate", "--topics-to-move-json-file", to_move, "--broker-list", "2,3")
    if ref is not None:
        assert ref.stdout.split("\n")[:2] == lines[:2], "the current assignment as Kafka's tool prints it"
    proposed = json.loads(lines[4])
    assert proposed["version"] == 1
    assert [(p["topic"], p["partition"], sorted(p["replicas"]), p["log_dirs"]) for p in proposed["partitions"]] == [
        (t, 0, [2, 3], ["any", "any"]), (t, 1, [2, 3], ["any", "any"])]

    plan = str(tmp_path / "plan.json")
    with open(plan, "w") as f:
        f.write(lines[4])
    ex = tool("kafka-reassign-partitions.sh", *b, "--execute", "--reassignment-json-file", plan)
    assert ex.stdout == ("Current partition replica assignment\n\n%s\n\nSave this to use as the --reassignment-json-file "
                         "option during rollback\nSuccessfully started partition reassignments for %s-0,%s-1\n" % (lines[1], t, t))

    done = ("Status of partition reassignment:\nReassignment of partition %s-0 is completed.\n"
            "Reassignment of partition %s-1 is completed.\n\nClearing broker-level throttles on brokers 1,2,3\n"
            "Clearing topic-level throttles on topic %s\n" % (t, t, t))
    spec.poll_until(lambda: tool("kafka-reassign-partitions.sh", *b, "--verify", "--reassignment-json-file", plan).stdout == done,
                    "the reassignment to complete", 60, interval=1)
    ref = reference(REASSIGN_COMMAND, cluster, "--verify", "--reassignment-json-file", plan)
    if ref is not None:
        assert ref.stdout == done
    assert [p["replicas"] for p in describe(cluster, t)] == [p["replicas"] for p in proposed["partitions"]]
    assert tool("kafka-reassign-partitions.sh", *b, "--list").stdout == "No partition reassignments found.\n"


def test_throttled_reassignment_listed_described_and_cancelled(cluster, tmp_path):  # noqa: F811
    t = spec.topic_name("slow")
    topics(cluster, "--create", "--topic", t, "--replica-assignment", "1")
    b = ["--bootstrap-server", cluster.bootstrap]
    tool("kafka-producer-perf-test.sh", "--topic", t, "--num-records", "3000", "--record-size", "1000", "--throughput", "-1",
         "--producer-props", "bootstrap.servers=%s" % cluster.bootstrap, "acks=1")
    plan = write_json(tmp_path, "slow.json", {"version": 1, "partitions": [{"topic": t, "partition": 0, "replicas": [2, 3]}]})
    ex = tool("kafka-reassign-partitions.sh", *b, "--execute", "--reassignment-json-file", plan, "--throttle", "1024")
    assert ex.stdout.endswith("Save this to use as the --reassignment-json-file option during rollback\n"
                              "Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\n"
                              "The inter-broker throttle limit was set to 1024 B/s\n"
                              "Successfully started partition reassignment for %s-0\n" % t), ex.stdout
    try:
        listed = tool("kafka-reassign-partitions.sh", *b, "--list").stdout
        assert listed == "Current partition reassignments:\n%s-0: replicas: 2,3,1. adding: 2,3. removing: 1.\n" % t
        out = same_describe_as_kafka(cluster, "--topic", t)
        [p] = partitions(out)
        assert (p["replicas"], p["adding"], p["removing"]) == ([2, 3, 1], "2,3", "1"), out
        assert "\tReplicationFactor: 1\t" in out.splitlines()[0], "the target's replication factor"
        assert "leader.replication.throttled.replicas=0:1" in out and "follower.replication.throttled.replicas=0:2,0:3" in out
        verify = tool("kafka-reassign-partitions.sh", *b, "--verify", "--reassignment-json-file", plan).stdout
        assert verify == "Status of partition reassignment:\nReassignment of partition %s-0 is still in progress.\n\n" % t
        refused = tool("kafka-reassign-partitions.sh", *b, "--execute", "--reassignment-json-file", plan, ok=False)
        assert (refused.returncode, refused.stdout) == (1, "Cannot execute because there is an existing partition assignment.  "
                                                           "Use --additional to override this and create a new partition assignment in addition to "
                                                           "the existing one. The --additional flag can also be used to change the throttle by "
                                                           "resubmitting the current reassignment.\n")
    finally:
        cancelled = tool("kafka-reassign-partitions.sh", *b, "--cancel", "--reassignment-json-file", plan)
    assert cancelled.stdout == ("Successfully cancelled partition reassignment for: %s-0\nNone of the specified partition "
                                "moves are active.Clearing broker-level throttles on brokers 1,2,3\n"
                                "Clearing topic-level throttles on topic %s\n" % (t, t))
    assert tool("kafka-reassign-partitions.sh", *b, "--list").stdout == "No partition reassignments found.\n"
    assert [p["replicas"] for p in describe(cluster, t)] == [[1]]
    assert "throttled" not in topics(cluster, "--describe", "--topic", t).stdout.splitlines()[0]
