"""Leader failover, one test per client, on a three-broker cluster (cluster.py): Tributary, or Apache
Kafka 4.3.1 with INTEROP_BROKER=kafka.

Each test picks a group, asks FindCoordinator which node coordinates it, and creates a one-partition
topic with replication factor 3 and min.insync.replicas=2 whose preferred leader is that node: one
kill -9 then takes down the partition's leader and the group's coordinator together. The client's
producer (acks=all, idempotent where the client has it) sends a numbered sequence, one record every
INTERVAL_MS; a member of the client's consumer group reads the partition at the same time and
commits what it processed. After KILL_AT acknowledgements the node is killed; the producer must
carry on once its metadata names the new leader, and the consumer once it has found the new leader
and the new coordinator. Then:
  - every record the producer got an acknowledgement for is in the log at its offset, the log has
    no gaps, and (idempotent producer) no record twice: it is exactly v-0 .. v-(COUNT-1) in order;
  - the offsets committed through the dead coordinator are there at the new one (OffsetFetch);
  - the consumer read every offset, each exactly once (clients that restart from the committed
    offset when they lose their coordinator, KafkaJS and Tributary's, may read again what came
    after the last commit before the kill, never anything before it), and committed the end of the
    log; the group's committed offset (read back through the new coordinator) is that end;
  - a new member of the group, started after more records are written, resumes at the committed
    offset: it reads exactly the new records.
The killed node is restarted while the new member resumes; the whole_cluster fixture waits until it
is back in sync (or restarts it after a failure), so tests stay independent.
Each test prints what happened (when the new leader appeared, which errors the clients logged).
"""
import collections
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

import spec
from cluster import NODES
from conftest import HERE, JAVA_JAR, VENV_KP2, VENV_KP3, require_file
from groups import JAVA_OPTS, Member, Members, group_name, kcat_event
from groups import produce as plain_produce

# the test body is bounded; the cluster fixtures bound their own setup and teardown (starts, restarts)
pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.timeout(75, func_only=True)]

COUNT = 200
INTERVAL_MS = 20
KILL_AT = 50  # acknowledgements before the kill
MORE = 5  # records written after the run, for the resuming member
DEADLINE_S = 60  # for the producer to finish after the kill, the consumer to catch up, ...
# The members' session (classic protocol): longer than a failover takes (the dead node leaves the
# cluster after 6 s, see cluster.py), so the member stays in the group while its coordinator moves;
# with the suite's usual 6 s a client that counts its own session (librdkafka) leaves the group
# first: its commit then fails with UNKNOWN_MEMBER_ID and the group rebalances.
SESSION_MS = 20000

# What the clients log about the failover: Kafka error names (as librdkafka and KafkaJS spell them
# too) and the Java client's exception classes.
ERROR_WORDS = re.compile(
    r"\b(NOT_LEADER_OR_FOLLOWER|NOT_LEADER_FOR_PARTITION|FENCED_LEADER_EPOCH|UNKNOWN_LEADER_EPOCH|LEADER_NOT_AVAILABLE"
    r"|NOT_ENOUGH_REPLICAS_AFTER_APPEND|NOT_ENOUGH_REPLICAS|NOT_COORDINATOR(?:_FOR_GROUP)?|COORDINATOR_NOT_AVAILABLE"
    r"|COORDINATOR_LOAD_IN_PROGRESS|GROUP_COORDINATOR_NOT_AVAILABLE|REQUEST_TIMED_OUT|NETWORK_EXCEPTION"
    r"|UNKNOWN_TOPIC_OR_PARTITION|OUT_OF_ORDER_SEQUENCE_NUMBER|DUPLICATE_SEQUENCE_NUMBER|UNKNOWN_PRODUCER_ID"
    r"|OFFSET_NOT_AVAILABLE|UNKNOWN_MEMBER_ID|ILLEGAL_GENERATION|REBALANCE_IN_PROGRESS|FENCED_MEMBER_EPOCH"
    r"|UNKNOWN_SERVER_ERROR|_TRANSPORT|_TIMED_OUT|_MSG_TIMED_OUT|KafkaJS[A-Za-z]+Error"
    r"|[A-Z][A-Za-z]+(?:Exception)"
    r"|Broker: [A-Z][a-z]+(?: [a-z]+)*|Connection refused|Disconnected|ECONNREFUSED|ECONNRESET)\b")


def value(i, prefix="v"):
    return "%s-%d" % (prefix, i)


def log_words(*members):
    """Counts of the error words in the members' stderr logs."""
    words = collections.Counter()
    for m in members:
        if m is None:
            continue
        m.log.flush()
        try:
            with open(m.log.name, errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        words.update(w for w in ERROR_WORDS.findall(text) if w not in ("InterruptedException",))
    return dict(words.most_common(12))


# ---- the clients ----

def java_cmd(cls, *args):
    java = shutil.which("java")
    assert java, "java is not on PATH"
    require_file(JAVA_JAR, "run scripts/install-interop.sh java")
    return [java, *JAVA_OPTS, "-cp", JAVA_JAR, "dev.tributary.interop." + cls, *args]


def node_cmd(script, *args):
    node = shutil.which("node")
    assert node, "node is not on PATH"
    return [node, os.path.join(HERE, "js", script), *args]


def kcat_bin():
    kcat = shutil.which("kcat") or shutil.which("kafkacat")
    if not kcat:
        pytest.fail("kcat is not installed: run scripts/install-interop.sh kcat")
    return kcat


def producer_args(bootstrap, topic, count, prefix="v"):
    return ["--bootstrap", bootstrap, "--topic", topic, "--count", str(count), "--interval-ms", str(INTERVAL_MS),
            "--prefix", prefix]


class KcatProducer:
    """kcat -P, run once per RUN records (the lines on its stdin, then end of input), one run after the
    other at the producers' pace, from a thread. (kcat 1.7.1 on librdkafka 2.0.2 holds records read
    from a slow stdin until the input ends: one long run fed a line at a time would send everything at
    its end.) kcat reports nothing per record: a run's records are acknowledged when it exits 0."""

    RUN = 10

    def __init__(self, bootstrap, topic, count):
        self.log = tempfile.NamedTemporaryFile(prefix="member-kcat-producer-", suffix=".log", delete=False)
        self.cmd = [kcat_bin(), "-b", bootstrap, "-P", "-t", topic, "-p", "0", "-K", "|",
                    "-X", "acks=all", "-X", "enable.idempotence=true", "-X", "linger.ms=5",
                    "-X", "message.timeout.ms=60000", "-X", "debug=msg,eos"]
        self.proc = None
        self.acked = 0  # records of the runs that exited 0, in order
        self.failed = []  # (first record, exit code) of the runs that did not
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._runs, args=(count,), daemon=True)
        self.thread.start()

    def _runs(self, count):
        nxt = time.monotonic()
        try:
            for first in range(0, count, self.RUN):
                lines = "".join("k-%d|%s\n" % (i, value(i)) for i in range(first, min(count, first + self.RUN)))
                self.log.write(("--- kcat -P run for records %d.. ---\n" % first).encode())
                self.log.flush()
                self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.log)
                self.proc.communicate(lines.encode(), timeout=DEADLINE_S + 30)
                if self.proc.returncode == 0:
                    self.acked = min(count, first + self.RUN)
                else:
                    self.failed.append((first, self.proc.returncode))
                nxt += self.RUN * INTERVAL_MS / 1000.0
                left = nxt - time.monotonic()
                if left > 0:
                    time.sleep(left)  # the sending pace, not a synchronisation
        finally:
            self.done.set()

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.thread.join(10)
        self.log.close()
        if not self.failed and self.done.is_set() and not os.environ.get("INTEROP_KEEP_LOGS"):
            try:
                os.unlink(self.log.name)
            except FileNotFoundError:
                pass  # cleaned up already (cleanup runs again after a failed assertion)


class Client:
    """How one client produces and joins a group. producer(bootstrap, topic, count, prefix) -> Member
    (or KcatProducer); member(members, bootstrap, topic, group, name) -> Member."""

    def __init__(self, name, producer, member, idempotent=True, single_bootstrap=False, reports_commits=True,
                 rereads=False, count=COUNT):
        self.name, self.producer, self.member, self.count = name, producer, member, count
        self.idempotent, self.single_bootstrap, self.reports_commits = idempotent, single_bootstrap, reports_commits
        # rereads: the member may read again what it read after the group's last commit before the
        # kill (at least once: it restarts from the committed offset after losing its coordinator);
        # the others keep their positions through the failover and read every offset once
        self.rereads = rereads


def java_producer(bootstrap, topic, count, prefix="v"):
    return Member("java-producer", java_cmd("FailoverProducer", *producer_args(bootstrap, topic, count, prefix)))


def py_producer(kind):
    def make(bootstrap, topic, count, prefix="v"):
        python = VENV_KP2 if kind == "confluent" else VENV_KP3
        require_file(python, "run scripts/install-interop.sh python")
        return Member("%s-producer" % kind, [python, os.path.join(HERE, "py", "failover_producer.py"), "--client", kind,
                                             *producer_args(bootstrap, topic, count, prefix)])
    return make


def node_producer(kind):
    def make(bootstrap, topic, count, prefix="v"):
        return Member("%s-producer" % kind, node_cmd("failover-producer.mjs", "--client", kind,
                                                     *producer_args(bootstrap, topic, count, prefix)))
    return make


def kcat_producer(bootstrap, topic, count, prefix="v"):
    assert prefix == "v"
    return KcatProducer(bootstrap, topic, count)


def java_member(protocol):
    def make(ms, bootstrap, topic, group, name):
        ms.bootstrap = bootstrap
        if protocol == "consumer":  # the session is the broker's (group.consumer.session.timeout.ms)
            return ms.java(topic, group, name=name, mode="alo", protocol=protocol)
        return ms.java(topic, group, name=name, mode="alo", protocol=protocol, session_ms=SESSION_MS)
    return make


def kafka_python_member(ms, bootstrap, topic, group, name):
    ms.bootstrap = bootstrap
    return ms.python("3.x", topic, group, name=name, mode="alo", session_ms=SESSION_MS)


def kafkajs_member(ms, bootstrap, topic, group, name):
    ms.bootstrap = bootstrap
    return ms.kafkajs(topic, group, name=name, mode="alo", session_ms=SESSION_MS)


def tributary_member(ms, bootstrap, topic, group, name):
    ms.bootstrap = bootstrap
    return ms.tributary(topic, group, name=name, session_ms=SESSION_MS, retry_retriable=1)


def confluent_member(ms, bootstrap, topic, group, name):
    require_file(VENV_KP2, "run scripts/install-interop.sh python")
    cmd = [VENV_KP2, os.path.join(HERE, "py", "confluent_group_consumer.py"), "--bootstrap", bootstrap,
           "--topic", topic, "--group", group, "--session-ms", str(SESSION_MS)]
    return ms._add(name, cmd)


def kcat_member(ms, bootstrap, topic, group, name):
    """kcat's balanced consumer (-G): it commits on its own (every 5 s) and on close."""
    cmd = [kcat_bin(), "-b", bootstrap, "-G", group, "-J", "-u", "-X", "session.timeout.ms=%d" % SESSION_MS,
           "-X", "heartbeat.interval.ms=1000", "-X", "auto.offset.reset=earliest",
           topic]
    return ms._add(name, cmd, translate=kcat_event)


CLIENTS = {
    "java-classic": Client("java-classic", java_producer, java_member("classic")),
    "java-consumer-protocol": Client("java-consumer-protocol", java_producer, java_member("consumer")),
    "confluent-kafka": Client("confluent-kafka", py_producer("confluent"), confluent_member),
    # kcat's member commits every 5 s whatever auto.commit.interval.ms says: a longer run, so that the
    # kill comes after its first commit and before the end
    "kcat": Client("kcat", kcat_producer, kcat_member, reports_commits=False, count=2 * COUNT),
    "kafka-python": Client("kafka-python", py_producer("kafka-python"), kafka_python_member),
    # KafkaJS keeps calling the dead coordinator until its retries run out, then restarts the
    # consumer, which resumes at the committed offset
    "kafkajs": Client("kafkajs", node_producer("kafkajs"), kafkajs_member, rereads=True),
    # Tributary's client takes one bootstrap address and asks only it for metadata: it gets a node
    # that stays up (see the report in the test's output)
    # a heartbeat that fails makes Tributary's member rejoin the group (a rebalance), which resumes at
    # the committed offset
    "tributary": Client("tributary", node_producer("tributary"), tributary_member, single_bootstrap=True,
                        reports_commits=False, rereads=True),
}


# ---- the scenario ----

def offsets_read(member):
    """{offset: value} of what the member processed; fails on an offset read with two values."""
    log = {}
    for _, o, v in member.records():
        assert log.setdefault(o, v) == v, "%s read offset %d as %r and as %r" % (member.name, o, log[o], v)
    return log


def committed_up_to(member):
    best = -1
    for e in member.evs("committed"):
        best = max([best] + list(e.get("offsets", {}).values()))
    return best


def run_failover(c, client):
    count = client.count
    t_start = time.monotonic()
    name = client.name
    group = group_name("failover-" + name)
    victim = c.coordinator_of(group)
    survivors = [n for n in NODES if n != victim]
    topic = spec.topic_name("failover-" + name)
    [state] = c.create_topic(topic, assignment=[[victim] + survivors], configs={"min.insync.replicas": "2"})
    assert state.leader == victim, "the preferred leader %d does not lead %s: %s" % (victim, topic, state)
    boot = c.addr(survivors[0]) if client.single_bootstrap else c.bootstrap

    ms = Members(boot)
    producer = m1 = m2 = None
    report = ["failover[%s] on %s: node %d leads %s and coordinates %s" % (name, c.kind, victim, topic, group)]
    try:
        m1 = client.member(ms, boot, topic, group, "%s-member-1" % name)
        m1.wait_for(lambda m: m.owned == {0}, "the first member to be assigned partition 0", DEADLINE_S)

        producer = client.producer(boot, topic, count)
        if isinstance(producer, KcatProducer):
            spec.poll_until(lambda: producer.acked >= KILL_AT or producer.failed or producer.done.is_set(),
                            "kcat -P to deliver %d records" % KILL_AT, DEADLINE_S)
            assert not producer.failed, "kcat -P runs failed before the kill: %s" % producer.failed
            acked_now = lambda: producer.acked  # noqa: E731
        else:
            producer.wait_for(lambda m: len(m.evs("ack")) >= KILL_AT or m.evs("err") or not m.alive(),
                              "%d acknowledgements" % KILL_AT, DEADLINE_S)
            assert len(producer.evs("ack")) >= KILL_AT, producer.describe()
            acked_now = lambda: len(producer.evs("ack"))  # noqa: E731
        t_acked, n_acked = time.monotonic(), acked_now()
        committed_before = spec.poll_until(lambda: c.committed(group, topic), "the group to commit an offset", DEADLINE_S,
                                           interval=0.2)
        sent = acked_now()
        report.append("%d acknowledged at %.1fs, a commit seen %.1fs later (%d acknowledged then)"
                      % (n_acked, t_acked - t_start, time.monotonic() - t_acked, sent))
        assert sent <= count - 50, "the run was nearly over (%d of %d records acknowledged) before the kill" % (sent, count)
        t_kill = c.kill(victim)
        leader = c.wait_leader(topic, other_than=[victim], deadline_s=DEADLINE_S)
        t_leader = time.monotonic()
        state = c.partition(topic)
        report.append("kill -9 node %d at %.1fs (%d records acknowledged, %d committed); new leader %d after %.1fs, ISR %s"
                      % (victim, t_kill - t_start, sent, committed_before, leader, t_leader - t_kill, state.isr))
        assert state.leader in survivors and set(state.isr) <= set(survivors), state
        coordinator = c.coordinator_of(group, DEADLINE_S)
        # the offsets committed through the dead coordinator, as the new one has them (the member may
        # have committed more since: never less)
        survived = c.committed(group, topic, deadline_s=DEADLINE_S)
        report.append("coordinator of %s now node %d (%.1fs after the kill), committed offset there %s"
                      % (group, coordinator, time.monotonic() - t_kill, survived))
        assert coordinator in survivors
        assert survived is not None and survived >= committed_before, \
            "the new coordinator has committed offset %s; %d was committed before the kill" % (survived, committed_before)

        # the producer finishes the sequence
        if isinstance(producer, KcatProducer):
            if not producer.done.wait(DEADLINE_S + count * INTERVAL_MS / 1000.0):
                raise AssertionError("kcat -P runs still going %ds after the kill" % DEADLINE_S)
            # kcat's "% ERROR: Local: Broker transport failure" lines are its error callback (a
            # connection lost, retried); a record that failed for good makes its run exit 1
            assert not producer.failed and producer.acked == count, \
                "kcat -P runs failed (first record, exit code): %s" % producer.failed
            acks = None
        else:
            producer.wait_exit(DEADLINE_S + count * INTERVAL_MS / 1000.0)
            assert producer.proc.returncode == 0, producer.describe()
            [done] = producer.evs("done")
            errs = producer.evs("err")
            acks = {e["i"]: e["o"] for e in producer.evs("ack")}
            assert errs == [], "records failed for good: %s" % errs[:5]
            assert done["acked"] == count == len(acks), done
        t_done = time.monotonic()
        report.append("producer done %.1fs after the kill; its log: %s" % (t_done - t_kill, log_words(producer)))

        end = c.high_watermark(topic)
        assert end == count, "the log ends at %d after %d acknowledged idempotent sends" % (end, count)

        # the consumer carries on: everything, once
        m1.wait_for(lambda m: len(offsets_read(m)) >= end, "the first member to read offsets 0..%d" % (end - 1), DEADLINE_S)
        log = offsets_read(m1)
        assert sorted(log) == list(range(end)), "offsets read: %s" % sorted(set(range(end)) ^ set(log))
        if acks is not None:
            wrong = {i: (o, log.get(o)) for i, o in acks.items() if log.get(o) != value(i)}
            assert not wrong, "acknowledged records not at their offsets: %s" % list(wrong.items())[:5]
        if client.idempotent:
            assert [log[o] for o in range(end)] == [value(i) for i in range(count)], \
                "the log is not v-0..v-%d in order: duplicates or gaps" % (count - 1)
        twice = sorted(o for o, n in collections.Counter(o for _, o, _ in m1.records()).items() if n > 1)
        if client.rereads:
            early = [o for o in twice if o < committed_before]
            assert early == [], "the first member read offsets %s again, below the offset %d committed before the kill" \
                % (early[:10], committed_before)
        else:
            assert twice == [], "the first member read offsets %s more than once" % twice[:10]

        if client.reports_commits:  # the others commit on close
            m1.wait_for(lambda m: committed_up_to(m) >= end, "the first member to commit %d" % end, DEADLINE_S)
        m1.close()
        committed = c.committed(group, topic)
        report.append("first member read %d records, %d of them again (%s), committed %s; its log: %s"
                      % (len(log), len(twice), "%d..%d" % (twice[0], twice[-1]) if twice else "-", committed,
                         log_words(m1)))
        assert committed == end, "committed offset %s, log end %d" % (committed, end)
        # the killed node comes back meanwhile (it leads nothing: no preferred-leader rebalance)
        c.restart_in_background(victim)

        # a new member resumes at the committed offset
        extra = client.producer(boot, topic, MORE, prefix="more") if client.name != "kcat" else None
        if extra is None:
            plain_produce(c.bootstrap_of(survivors), topic, 1, MORE)
            want = {end + i: "v-0-%d" % i for i in range(MORE)}
        else:
            ms.all.append(extra)
            extra.wait_exit(DEADLINE_S)
            assert extra.proc.returncode == 0 and not extra.evs("err"), extra.describe()
            want = {end + i: value(i, "more") for i in range(MORE)}
        m2 = client.member(ms, boot, topic, group, "%s-member-2" % name)
        m2.wait_for(lambda m: len(offsets_read(m)) >= MORE, "the second member to read the %d new records" % MORE, DEADLINE_S)
        assert sorted(m2.records()) == sorted((0, o, v) for o, v in want.items()), \
            "the second member did not resume at the committed offset %d: %s" % (end, m2.records()[:8])
        report.append("second member resumed at offset %d; done %.1fs after the start" % (end, time.monotonic() - t_start))
        # last, so that everything above is checked first: poll() rejected with a retriable error
        errors = [e["err"] for m in (m1, m2) for e in m.evs("poll-error")]
        assert errors == [], "poll() rejected with errors its client marks retriable (the loop polled again): %s" % errors[:5]
    finally:
        print("\n  ".join(report))
        if isinstance(producer, KcatProducer):
            producer.cleanup()
        elif producer is not None:
            ms.all.append(producer)
        ms.cleanup()


@pytest.mark.parametrize("client", list(CLIENTS))
def test_failover(whole_cluster, client):
    run_failover(whole_cluster, CLIENTS[client])


# ---- the returning leader's log ----

def read_log(c, topic, end):
    """[(offset, value)] of offsets 0..end-1, read from the partition's leader (confluent-kafka)."""
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": c.bootstrap_of(c.live()), "group.id": "interop-unused-" + topic,
                         "enable.auto.commit": False, "auto.offset.reset": "error", "fetch.wait.max.ms": 200,
                         "log_level": 0})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        got, deadline = [], time.monotonic() + DEADLINE_S
        while (not got or got[-1][0] < end - 1) and time.monotonic() < deadline:
            m = consumer.poll(0.5)
            if m is not None:
                assert m.error() is None, m.error()
                got.append((m.offset(), m.value().decode()))
        return got
    finally:
        consumer.close()


def test_returning_leader_truncates(whole_cluster):
    """Divergent logs: both followers are frozen (SIGSTOP, for less than a broker session) while the
    leader acknowledges acks=1 records alone, then the leader is killed -9 and the followers thawed.
    The records only the dead leader had are lost (acks=1 allows it), and the new leader writes other
    records at their offsets. The old leader, restarted, must throw away its divergent suffix (found
    with OffsetsForLeaderEpoch) and catch up: once it is in sync and leads again (the new leader
    killed in turn: the first in-sync replica in assignment order is elected), it serves exactly the
    log the new leader served, record for record."""
    from confluent_kafka import Producer
    c = whole_cluster
    old, s1, s2 = 1, 2, 3
    topic = spec.topic_name("failover-truncate")
    c.create_topic(topic, assignment=[[old, s1, s2]], configs={"min.insync.replicas": "2"})
    acked, errors, stop = [], [], threading.Event()  # acked: (offset, value), as acknowledged

    def produce():  # as fast as the leader acknowledges, acks=1
        p = Producer({"bootstrap.servers": c.bootstrap, "acks": 1, "enable.idempotence": False, "linger.ms": 0,
                      "message.timeout.ms": 30000, "log_level": 0})

        def cb(err, m):
            if err is None:
                acked.append((m.offset(), m.value().decode()))
            else:
                errors.append(err)
        i = 0
        while not stop.is_set():
            p.produce(topic, value=value(i, "r").encode(), partition=0, on_delivery=cb)
            p.poll(0.002)  # serves delivery reports; paces the loop to the broker's answers
            i += 1
        p.flush(30)
    report = ["returning leader on %s: node %d leads %s" % (c.kind, old, topic)]
    t = threading.Thread(target=produce, daemon=True)
    t.start()
    try:
        spec.poll_until(lambda: len(acked) >= 300, "300 acknowledgements", DEADLINE_S)
        frozen = [s1, s2]
        try:
            for n in frozen:
                c.pause(n)
            alone = len(acked)
            spec.poll_until(lambda: len(acked) >= alone + 100, "100 acknowledgements from the leader alone", 4)
            last_alone = max(o for o, _ in acked)
            c.kill(old)
        finally:
            for n in frozen:
                c.resume(n)
        at_kill = len(acked)
        leader = c.wait_leader(topic, other_than=[old], deadline_s=DEADLINE_S)
        spec.poll_until(lambda: len(acked) >= at_kill + 100, "100 more acknowledgements, from the new leader", DEADLINE_S)
    finally:
        stop.set()
        t.join(60)
    end = c.high_watermark(topic)
    log = read_log(c, topic, end)
    assert [o for o, _ in log] == list(range(end)), "the new leader's log has gaps"
    served = dict(log)
    lost = sorted(o for o, v in acked if served.get(o) != v)
    report.append("killed node %d after %d acks=1 acknowledgements (%d while the followers were frozen, up to offset %d); "
                  "new leader %d; log end %d; %d acknowledged records not in the new leader's log (offsets %s), "
                  "%d delivery errors"
                  % (old, at_kill, at_kill - alone, last_alone, leader, end, len(lost),
                     "%d..%d" % (lost[0], lost[-1]) if lost else "-", len(errors)))
    try:
        assert lost, "no record only the old leader had: the logs did not diverge"
        c.restart(old)
        c.wait_isr(topic, 0, NODES, deadline_s=DEADLINE_S)
        c.kill(leader)
        new = c.wait_leader(topic, other_than=[leader], deadline_s=DEADLINE_S)
        report.append("node %d back in sync; node %d killed; leader now %d" % (old, leader, new))
        assert new == old, "node %d leads, not %d, the first in-sync replica in assignment order" % (new, old)
        again = read_log(c, topic, end)
        assert again == log, "the restarted node serves another log: first difference at %s" % next(
            (a for a, b in zip(again, log) if a != b), "the end (%d records, not %d)" % (len(again), len(log)))
        assert c.high_watermark(topic) == end
    finally:
        print("\n  ".join(report))
