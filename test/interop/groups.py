"""Helpers for the consumer-group tests (test_groups_*.py): group members as subprocesses of every
client, read through the JSON lines they print, and a producer of known records.

Each member program (py/group_consumer.py, js/group-consumer.mjs, the Java GroupClient) prints
{"ev": "assigned"|"revoked"|"lost", "owned": [...]}, {"ev": "rec", "p", "o", "v"}, {"ev": "committed"},
{"ev": "crash"}, {"ev": "closed"} lines; a reader thread stamps each with time.monotonic() as it
arrives. Nothing here sleeps to synchronise: waits poll the members' reports against a deadline.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

import spec
from conftest import HERE, JAVA_JAR, ROOT, VENV_KP2, VENV_KP3, require_file

PY_VERSIONS = {"2.0.2": VENV_KP2, "3.x": VENV_KP3}
SESSION_MS = 6000  # group.min.session.timeout.ms's default: the shortest session a broker allows
HEARTBEAT_MS = 1000
JAVA_OPTS = ["-Xmx192m", "-XX:TieredStopAtLevel=1", "-Xshare:auto"]


def group_name(prefix="my-group"):
    """The seed's group name, made unique per test so tests never share members."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


class Member:
    """One group member process. events: [(t, dict)]; owned: the partitions it last reported."""

    def __init__(self, name, cmd, cwd=ROOT, translate=None):
        """translate(line, stream) -> event dict or None: for a program that does not print the
        JSON events itself (kcat); it then reads stderr too."""
        self.name, self.cmd, self.translate = name, cmd, translate
        self.log = tempfile.NamedTemporaryFile(prefix="member-%s-" % name, suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE if translate else self.log,
                                     stdin=subprocess.DEVNULL, text=True, bufsize=1)
        self.events = []
        self.other = []  # stdout lines that are not JSON
        self.cond = threading.Condition()
        self.started = time.monotonic()
        self.killed_at = None
        # KIP-848 members reconcile incrementally, with no rebalance barrier: every report is final
        self.incremental = False
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, "stdout"), daemon=True)]
        if translate:
            self.readers.append(threading.Thread(target=self._read, args=(self.proc.stderr, "stderr"), daemon=True))
        for r in self.readers:
            r.start()

    def _read(self, stream, which):
        for line in stream:
            t = time.monotonic()
            line = line.strip()
            with self.cond:
                if self.translate:
                    if which == "stderr":
                        self.log.write(line.encode() + b"\n")
                    ev = self.translate(line, which)
                    if ev is not None:
                        self.events.append((t, ev))
                    elif which == "stdout" and line:
                        self.other.append(line)
                elif line.startswith("{"):
                    try:
                        self.events.append((t, json.loads(line)))
                    except ValueError:
                        self.other.append(line)
                elif line:
                    self.other.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def _join_readers(self):
        for r in self.readers:
            r.join(5)

    # -- what it reported --
    def evs(self, kind=None):
        with self.cond:
            return [e for _, e in self.events if kind is None or e["ev"] == kind]

    @property
    def owned(self):
        """The partitions of its last assignment, or None before its first or while it rebalances
        (its last report is a revocation: every classic rebalance ends with an "assigned" report,
        empty or not, in every client)."""
        with self.cond:
            for _, e in reversed(self.events):
                if e["ev"] == "assigned" or (self.incremental and "owned" in e):
                    return frozenset(e["owned"])
                if "owned" in e:
                    return None
        return None

    def owned_since(self):
        """When its current assignment report arrived (time.monotonic())."""
        with self.cond:
            for t, e in reversed(self.events):
                if "owned" in e:
                    return t
        return None

    def records(self):
        return [(e["p"], e["o"], e["v"]) for e in self.evs("rec")]

    def alive(self):
        return self.proc.poll() is None

    def describe(self):
        with self.cond:
            evs = [e for _, e in self.events if e["ev"] != "rec"][-12:]
            nrec = sum(1 for _, e in self.events if e["ev"] == "rec")
        self.log.flush()
        try:
            with open(self.log.name, errors="replace") as f:
                err = f.read()[-3000:]
        except OSError:
            err = ""
        return ("member %s (exit %s): %d records, last events %s, other stdout %s\n  stderr: %s"
                % (self.name, self.proc.poll(), nrec, evs, self.other[-5:], err))

    # -- waiting --
    def wait_for(self, pred, what, deadline_s=spec.DEADLINE_S, others=()):
        """Waits until pred(self) is truthy; returns (value, time it became true by the reader's clock)."""
        end = time.monotonic() + deadline_s
        with self.cond:
            while True:
                v = pred(self)
                if v:
                    return v, (self.events[-1][0] if self.events else time.monotonic())
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(min(left, 0.2))
        raise AssertionError("timed out after %.0fs waiting for %s\n%s" % (
            deadline_s, what, "\n".join(m.describe() for m in (self, *others))))

    # -- ending --
    def kill9(self):
        self.killed_at = time.monotonic()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._join_readers()
        return self.killed_at

    def close(self, deadline_s=30):
        """Graceful: SIGTERM, the program closes its consumer (LeaveGroup) and exits."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(deadline_s)
        except subprocess.TimeoutExpired:
            raise AssertionError("member %s did not exit within %ds of SIGTERM\n%s"
                                 % (self.name, deadline_s, self.describe()))
        self._join_readers()

    def wait_exit(self, deadline_s=spec.DEADLINE_S):
        try:
            return self.proc.wait(deadline_s)
        except subprocess.TimeoutExpired:
            raise AssertionError("member %s still running after %ds\n%s" % (self.name, deadline_s, self.describe()))
        finally:
            self._join_readers()

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._join_readers()
        self.log.close()
        if self.proc.returncode in (0, -signal.SIGKILL, -signal.SIGTERM, 143) and not os.environ.get("INTEROP_KEEP_LOGS"):
            os.unlink(self.log.name)


class Members:
    """Starts members of any client and cleans all of them up at the end of the test."""

    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        self.all = []
        self.tmp = tempfile.mkdtemp(prefix="interop-groups-")

    def _add(self, name, cmd, cwd=ROOT, translate=None):
        m = Member(name, cmd, cwd, translate)
        self.all.append(m)
        return m

    def python(self, version, topic, group, name=None, **opts):
        python = PY_VERSIONS[version]
        require_file(python, "run scripts/install-interop.sh python")
        cmd = [python, os.path.join(HERE, "py", "group_consumer.py"), "--bootstrap", self.bootstrap,
               "--topic", topic, "--group", group]
        opts.setdefault("session_ms", SESSION_MS)
        opts.setdefault("heartbeat_ms", HEARTBEAT_MS)
        for k, v in opts.items():
            cmd += ["--" + k.replace("_", "-"), str(v)]
        return self._add(name or "py%s-%d" % (version, len(self.all)), cmd)

    def java(self, topic, group, name=None, **opts):
        """The Java GroupClient; topic None with pattern=<RE2/J regex> subscribes by regex (KIP-848)."""
        java = shutil.which("java")
        assert java, "java is not on PATH"
        require_file(JAVA_JAR, "run scripts/install-interop.sh java")
        cmd = [java, *JAVA_OPTS, "-cp", JAVA_JAR, "dev.tributary.interop.GroupClient", "--bootstrap", self.bootstrap,
               "--group", group]
        if topic is not None:  # else opts has pattern= (a SubscriptionPattern)
            cmd += ["--topic", topic]
        if opts.get("protocol", "classic") == "classic":
            opts.setdefault("session_ms", SESSION_MS)
            opts.setdefault("heartbeat_ms", HEARTBEAT_MS)
        for k, v in opts.items():
            cmd += ["--" + k.replace("_", "-"), str(v)]
        m = self._add(name or "java-%d" % len(self.all), cmd)
        m.incremental = opts.get("protocol") == "consumer"
        return m

    def _node(self, script, needs, how, label, topic, group, name, opts):
        """A member run by a node script in js/ (the same flags as the other member programs)."""
        node = shutil.which("node")
        assert node, "node is not on PATH"
        require_file(needs, how)
        cmd = [node, os.path.join(HERE, "js", script), "--bootstrap", self.bootstrap, "--topic", topic, "--group", group]
        opts.setdefault("session_ms", SESSION_MS)
        opts.setdefault("heartbeat_ms", HEARTBEAT_MS)
        for k, v in opts.items():
            cmd += ["--" + k.replace("_", "-"), str(v)]
        return self._add(name or "%s-%d" % (label, len(self.all)), cmd)

    def tributary(self, topic, group, name=None, **opts):
        """A member on Tributary's own Consumer (js/tributary-group-consumer.mjs, from dist/)."""
        return self._node("tributary-group-consumer.mjs", os.path.join(ROOT, "dist", "src", "index.js"), "run npm run build",
                          "tributary", topic, group, name, opts)

    def kafkajs(self, topic, group, name=None, **opts):
        return self._node("group-consumer.mjs", os.path.join(ROOT, "node_modules", "kafkajs"), "run npm ci",
                          "kafkajs", topic, group, name, opts)

    def kcat(self, topic, group, name=None, session_ms=SESSION_MS):
        """kcat's balanced consumer (-G): records as JSON (-J) on stdout, rebalances on stderr."""
        kcat = shutil.which("kcat") or shutil.which("kafkacat")
        if not kcat:
            pytest.fail("kcat is not installed: run scripts/install-interop.sh kcat")
        cmd = [kcat, "-b", self.bootstrap, "-G", group, "-J", "-u",
               "-X", "session.timeout.ms=%d" % session_ms, "-X", "heartbeat.interval.ms=%d" % HEARTBEAT_MS,
               "-X", "auto.offset.reset=earliest", topic]
        m = self._add(name or "kcat-%d" % len(self.all), cmd, translate=kcat_event)
        m.client = kcat
        return m

    def cleanup(self):
        for m in self.all:  # all close at once (each takes a LeaveGroup round trip or so)
            if m.proc.poll() is None:
                m.proc.send_signal(signal.SIGTERM)
        for m in self.all:
            m.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)


KCAT_REBALANCE = re.compile(r"^% Group (\S+) rebalanced \(memberid (\S+)\): (assigned|revoked): ?(.*)$")


def kcat_event(line, stream):
    """kcat -G -J: a record (stdout) or a rebalance (stderr) as the members' events."""
    if stream == "stdout":
        if not line.startswith("{"):
            return None
        r = json.loads(line)
        return {"ev": "rec", "p": r["partition"], "o": r["offset"], "v": r["payload"]}
    m = KCAT_REBALANCE.match(line)
    if not m:
        return None
    parts = sorted(int(x) for x in re.findall(r"\[(\d+)\]", m.group(4)))
    # librdkafka's classic assignors are eager: an assignment is the whole set, a revocation all of it
    return {"ev": m.group(3), "parts": parts, "owned": parts if m.group(3) == "assigned" else []}


@pytest.fixture
def members(bootstrap):
    ms = Members(bootstrap)
    try:
        yield ms
    finally:
        ms.cleanup()


# ---- topics and records ----

def create_topic(bootstrap, topic, partitions):
    from test_confluent_kafka import create_topic as create
    create(bootstrap, topic, partitions)


def value(p, i):
    return "v-%d-%d" % (p, i)


def produce(bootstrap, topic, partitions, per_partition, start=0):
    """Produces value(p, i) for i in start..start+per_partition-1 to each partition; returns the
    records as {(partition, offset): value}, offsets as the broker acknowledged them."""
    from confluent_kafka import Producer
    acked, errors = {}, []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            acked[(msg.partition(), msg.offset())] = msg.value().decode()
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True,
                  "message.timeout.ms": 30000})
    for i in range(start, start + per_partition):
        for part in range(partitions):
            p.produce(topic, value=value(part, i).encode(), key=("k-%d" % i).encode(), partition=part,
                      on_delivery=on_delivery)
    assert p.flush(30) == 0, "records still unsent after 30s"
    assert not errors, errors
    assert len(acked) == partitions * per_partition
    for part in range(partitions):  # one producer, in order: offset start+i holds record i
        got = sorted((o, v) for (pp, o), v in acked.items() if pp == part)
        assert [v for _, v in got] == [value(part, i) for i in range(start, start + per_partition)], got
    return acked


# ---- assignments ----

def split_of(members, nparts):
    """The members' owned sets if they are disjoint and cover 0..nparts-1, else None."""
    owned = [m.owned for m in members]
    if any(o is None for o in owned):
        return None
    if sum(len(o) for o in owned) != nparts or frozenset().union(*owned) != frozenset(range(nparts)):
        return None
    return owned


def wait_split(members, nparts, sizes=None, deadline_s=spec.DEADLINE_S, what="the group to split the partitions"):
    """Waits until members own disjoint sets covering all partitions (with the sizes given, in any
    order, e.g. [2, 2]); returns (owned sets, the time the last of those assignments was reported)."""
    def ok(_):
        s = split_of(members, nparts)
        if s is None or (sizes is not None and sorted(len(o) for o in s) != sorted(sizes)):
            return None
        return s
    owned, _ = members[0].wait_for(ok, what, deadline_s, others=members[1:])
    return owned, max(m.owned_since() for m in members)


def wait_records(members, want, deadline_s=spec.DEADLINE_S):
    """Waits until the members together processed every record of want {(p, o): v}; returns
    {member: [(p, o, v)]}."""
    def ok(_):
        got = set()
        for m in members:
            got.update((p, o) for p, o, _ in m.records())
        return got >= set(want)
    members[0].wait_for(ok, "%d records to be consumed" % len(want), deadline_s, others=members[1:])
    return {m: m.records() for m in members}
