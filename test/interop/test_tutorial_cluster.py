"""The quickstart's multi-broker sequence, as a user types it, with the command-line tools: three
brokers and their coordination service, a topic replicated three times, the leader killed, a new
leader with a smaller ISR, every message still there, the broker back in the ISR after a restart.

  - Tributary: the coordination service and the brokers start as the tutorial starts them, from
    config files (bin/zookeeper-server-start.sh zookeeper.properties, which runs etcd, and
    bin/kafka-server-start.sh server-N.properties, copies of config/server.properties with their
    own broker.id, listener, log directory and zookeeper.connect); the tools are bin/kafka-*.sh.
  - Apache Kafka 4.3.1: KRaft has no separate coordination service; the session's cluster
    (scripts/kafka-ref-cluster.sh, three combined broker+controller nodes) stands for those steps,
    and the tools are Kafka's own (TopicCommand, ConsoleProducer, ConsoleConsumer from its jars).
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid

import pytest

import spec
from cluster import NODES, Cluster, cluster_kind
from conftest import ROOT, _tail

# the test body is bounded; the cluster fixtures bound their own setup and teardown (starts, restarts)
pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.timeout(90, func_only=True)]

BIN = os.path.join(ROOT, "bin")
KAFKA_LIBS = os.path.join(ROOT, ".cache", "kafka", "4.3.1", "libs")
KAFKA_TOOLS = {
    "kafka-topics.sh": "org.apache.kafka.tools.TopicCommand",
    "kafka-console-producer.sh": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-console-consumer.sh": "org.apache.kafka.tools.consumer.ConsoleConsumer",
}
MESSAGES = ["my test message %d" % i for i in range(1, 11)]


class TutorialCluster(Cluster):
    """A Tributary cluster started the tutorial's way: a zookeeper.properties and one
    server-N.properties per broker, run through bin/zookeeper-server-start.sh and
    bin/kafka-server-start.sh."""

    def __init__(self, tmp):
        super().__init__("tributary", tmp)
        # the etcd behind the tutorial's script serves clientPort and peers on clientPort + 1
        self.etcd_port = _port_pair()

    def _start_etcd(self):
        props = os.path.join(self.tmp, "zookeeper.properties")
        with open(props, "w") as f:
            f.write("dataDir=%s\nclientPort=%d\n" % (os.path.join(self.tmp, "zookeeper"), self.etcd_port))
        log = open(os.path.join(self.tmp, "etcd.log"), "ab")
        # without -daemon the script execs etcd: this process is etcd
        self.etcd = subprocess.Popen([os.path.join(BIN, "zookeeper-server-start.sh"), props], cwd=self.tmp,
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        if not spec.wait_for_port("127.0.0.1:%d" % self.etcd_port, 30, alive=lambda: self.etcd.poll() is None):
            pytest.fail("the coordination service did not listen on %d:\n%s"
                        % (self.etcd_port, _tail(os.path.join(self.tmp, "etcd.log"))))

    def _launch_tributary(self, n):
        props = os.path.join(self.tmp, "server-%d.properties" % n)
        if not os.path.exists(props):
            with open(os.path.join(ROOT, "config", "server.properties")) as f:
                lines = f.read().splitlines()
            edits = {
                "broker.id": str(n),
                "listeners": "PLAINTEXT://%s" % self.addr(n),
                "advertised.listeners": "PLAINTEXT://%s" % self.addr(n),
                "log.dirs": os.path.join(self.tmp, "kafka-logs-%d" % n),
                "zookeeper.connect": "localhost:%d" % self.etcd_port,
                # beyond the tutorial: the group coordinator of the console consumer must outlive
                # the broker the tutorial kills, and a dead broker leaves after 6 s
                "offsets.topic.replication.factor": "3",
                "zookeeper.session.timeout.ms": "6000",
            }
            out = []
            for line in lines:
                key = line.split("=", 1)[0].strip()
                if key == "node.id":
                    continue  # broker.id names the broker, as in the tutorial's file
                out.append("%s=%s" % (key, edits.pop(key)) if key in edits else line)
            out += ["%s=%s" % kv for kv in edits.items()]
            with open(props, "w") as f:
                f.write("\n".join(out) + "\n")
        os.makedirs(self.node_dir(n), exist_ok=True)
        log = open(self.log_of(n), "ab")
        self.procs[n] = subprocess.Popen([os.path.join(BIN, "kafka-server-start.sh"), props], cwd=ROOT,
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()


def _port_pair():
    """A free loopback port whose successor is free too."""
    for _ in range(50):
        a = socket.socket()
        a.bind(("127.0.0.1", 0))
        port = a.getsockname()[1]
        b = socket.socket()
        try:
            b.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
        finally:
            a.close()
            b.close()
    raise AssertionError("no two adjacent free ports")


@pytest.fixture(scope="module")
def tutorial_cluster(request):
    kind = cluster_kind()
    if kind == "kafka":
        yield request.getfixturevalue("cluster")
        return
    tmp = tempfile.mkdtemp(prefix="interop-tutorial-")
    c = TutorialCluster(tmp)
    try:
        c.start()
        yield c
    finally:
        c.close()
        shutil.rmtree(tmp, ignore_errors=True)


class Tools:
    """The tutorial's commands: bin/kafka-*.sh (Tributary) or Kafka's tool classes (Apache Kafka)."""

    def __init__(self, kind, tmp):
        self.kind = kind
        self.log4j = os.path.join(tmp, "tools-log4j2.properties")
        with open(self.log4j, "w") as f:  # Kafka's tools: warnings and errors only, on stderr
            f.write("status = warn\nappender.err.type = Console\nappender.err.name = ERR\n"
                    "appender.err.target = SYSTEM_ERR\nappender.err.layout.type = PatternLayout\n"
                    "appender.err.layout.pattern = %p %m (%c)%n\nrootLogger.level = WARN\n"
                    "rootLogger.appenderRef.err.ref = ERR\n")

    def cmd(self, name):
        if self.kind == "tributary":
            return [os.path.join(BIN, name)]
        java = shutil.which("java")
        assert java, "java is not on PATH"
        assert os.path.isdir(KAFKA_LIBS), "no Kafka jars in %s: scripts/fetch-kafka.sh" % KAFKA_LIBS
        return [java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dlog4j2.configurationFile=" + self.log4j,
                "-cp", os.path.join(KAFKA_LIBS, "*"), KAFKA_TOOLS[name]]

    def run(self, name, *args, stdin=None, timeout=60):
        res = subprocess.run(self.cmd(name) + list(args), cwd=ROOT, input=stdin, capture_output=True, text=True,
                             timeout=timeout)
        assert res.returncode == 0, "%s %s exited %d\nstdout:\n%s\nstderr:\n%s" % (
            name, " ".join(args), res.returncode, res.stdout, res.stderr[-3000:])
        return res


PARTITION_LINE = re.compile(r"^\tTopic: (\S+)\tPartition: (\d+)\tLeader: (-?\d+|none)\tReplicas: ([\d,]*)\tIsr: ([\d,]*)(\t.*)?$")


def describe(tools, bootstrap, topic):
    """kafka-topics.sh --describe: the summary line and the one partition's (leader, replicas, isr)."""
    out = tools.run("kafka-topics.sh", "--bootstrap-server", bootstrap, "--describe", "--topic", topic).stdout
    lines = out.rstrip("\n").split("\n")
    assert len(lines) == 2, "expected a summary and one partition line:\n%s" % out
    assert lines[0].startswith("Topic: %s\tTopicId: " % topic) and "\tPartitionCount: 1\tReplicationFactor: 3\t" in lines[0], out
    m = PARTITION_LINE.match(lines[1])
    assert m and m.group(1) == topic and m.group(2) == "0", "unexpected partition line: %r" % lines[1]
    nums = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    leader = -1 if m.group(3) == "none" else int(m.group(3))
    return leader, nums(m.group(4)), nums(m.group(5)), lines[1]


def consume_all(tools, bootstrap, topic, n):
    res = tools.run("kafka-console-consumer.sh", "--bootstrap-server", bootstrap, "--topic", topic, "--from-beginning",
                    "--max-messages", str(n), "--timeout-ms", "30000")
    return res.stdout.splitlines()


def test_multi_broker_tutorial(tutorial_cluster, tmp_path):
    c = tutorial_cluster
    c.wait_whole(60)
    tools = Tools(c.kind, str(tmp_path))
    # the quickstart names one broker (--bootstrap-server localhost:9092), and kills another one: the
    # leader. Here the first commands go to node 1, the rest to a broker that does not lead the topic.
    b = c.addr(1)
    topic = "my-replicated-topic-%s" % uuid.uuid4().hex[:8]
    report = ["tutorial on %s:" % c.kind]
    killed = None
    try:
        created = tools.run("kafka-topics.sh", "--bootstrap-server", b, "--create", "--replication-factor", "3",
                            "--partitions", "1", "--topic", topic)
        assert created.stdout == "Created topic %s.\n" % topic
        c.wait_isr(topic, 0, NODES)  # Kafka's brokers learn of a new topic a moment after its creation

        leader, replicas, isr, line = describe(tools, b, topic)
        report.append("described: %r" % line)
        assert sorted(replicas) == list(NODES) and sorted(isr) == list(NODES) and leader in replicas
        b = c.addr(next(n for n in NODES if n != leader))

        tools.run("kafka-console-producer.sh", "--bootstrap-server", b, "--topic", topic, stdin="".join(m + "\n" for m in MESSAGES))
        assert consume_all(tools, b, topic, len(MESSAGES)) == MESSAGES

        killed = leader
        c.kill(leader)
        survivors = [n for n in NODES if n != leader]
        c.wait_isr(topic, 0, survivors, deadline_s=40)
        new_leader, replicas, isr, line = describe(tools, b, topic)
        report.append("after kill -9 of node %d: %r" % (leader, line))
        assert new_leader in survivors, "leader %d after its broker was killed" % new_leader
        assert sorted(isr) == survivors and sorted(replicas) == list(NODES)

        assert consume_all(tools, b, topic, len(MESSAGES)) == MESSAGES

        c.restart(leader)
        killed = None
        c.wait_isr(topic, 0, NODES, deadline_s=60)
        back_leader, replicas, isr, line = describe(tools, b, topic)
        report.append("after restarting node %d: %r" % (leader, line))
        assert sorted(isr) == list(NODES), "node %d did not rejoin the ISR: %s" % (leader, isr)
        assert back_leader == new_leader, "leadership moved back (no preferred-leader rebalance is configured)"
    finally:
        print("\n  ".join(report))
        if killed is not None and not c.running(killed):
            c.restart(killed)
