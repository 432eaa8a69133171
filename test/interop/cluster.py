"""A three-broker cluster of the kind under test, for the failover tests (the `cluster` fixture).

  - Apache Kafka (INTEROP_BROKER=kafka): scripts/kafka-ref-cluster.sh, three KRaft nodes in combined
    mode (broker and controller), node ids 1..3.
  - Tributary (default): one etcd and three brokers, broker.id 1..3, coordinated through etcd
    (etcd.connect=127.0.0.1:<port>/<chroot>).

Both get the suite's BROKER_OVERRIDES and CLUSTER_OVERRIDES. The Cluster object knows the nodes'
ports and can kill -9, SIGTERM and restart each node on its own data; it reads the cluster's state
through Metadata (confluent-kafka's AdminClient, or one raw Metadata request to one node) and finds
group coordinators with FindCoordinator. Every wait polls against a deadline.
"""
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

import spec

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TRIBUTARY_CLI = os.path.join(ROOT, "dist", "tributary.mjs")
NODES = (1, 2, 3)
KAFKA_CLUSTER = os.path.join(ROOT, "scripts", "kafka-ref-cluster.sh")
START_DEADLINE_S = 120  # three JVMs, or three node processes and etcd, on a shared 2-core machine
OFFSETS_TOPIC = "__consumer_offsets"

# Both kinds: a dead broker leaves the cluster after 6 s without heartbeats (Kafka's KRaft broker
# session; Tributary's etcd lease, zookeeper.session.timeout.ms below), and leadership stays where
# failover put it (no preferred-leader rebalance moving partitions in the middle of a later test).
CLUSTER_OVERRIDES = (
    "auto.leader.rebalance.enable=false",
    "unclean.leader.election.enable=false",
)
KAFKA_OVERRIDES = (
    "broker.session.timeout.ms=6000",
    "broker.heartbeat.interval.ms=1000",
)
TRIBUTARY_OVERRIDES = (
    "offsets.topic.replication.factor=3",
    "zookeeper.session.timeout.ms=6000",
)


def _conftest():
    """The suite's conftest.py, imported when first needed (it imports this module's fixtures)."""
    import conftest
    return conftest


def _pid_alive(pid):
    return _conftest()._pid_alive(pid)


def _tail(path, n=40):
    return _conftest()._tail(path, n)


def _quiet_logger():
    """A logger for librdkafka that drops its complaints about the brokers the tests kill."""
    log = logging.getLogger("interop.cluster.librdkafka")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    log.setLevel(logging.CRITICAL)
    return log


# ---- one request over a raw socket (no client's cache, no retries: what this node says now) ----

def _string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


class _Reader:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, fmt):
        vals = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return vals if len(vals) > 1 else vals[0]

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.buf[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def array(self, item):
        return [item() for _ in range(self.take(">i"))]


def raw_request(addr, api_key, version, body, timeout=5.0):
    """One request (header v1) to host:port; returns the response body after the correlation id."""
    host, port = addr.rsplit(":", 1)
    header = struct.pack(">hhi", api_key, version, 7) + _string("interop-cluster")
    frame = header + body
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(struct.pack(">i", len(frame)) + frame)

        def read(n):
            buf = b""
            while len(buf) < n:
                chunk = s.recv(n - len(buf))
                if not chunk:
                    raise ConnectionError("%s closed the connection" % addr)
                buf += chunk
            return buf
        (size,) = struct.unpack(">i", read(4))
        resp = read(size)
    (corr,) = struct.unpack(">i", resp[:4])
    assert corr == 7, "correlation id %d from %s" % (corr, addr)
    return resp[4:]


class PartitionState:
    def __init__(self, error, leader, replicas, isr):
        self.error, self.leader, self.replicas, self.isr = error, leader, list(replicas), sorted(isr)

    def __repr__(self):
        return "PartitionState(error=%s, leader=%d, replicas=%s, isr=%s)" % (self.error, self.leader, self.replicas, self.isr)


def raw_metadata(addr, topics=None):
    """Metadata v1 from one node: ({node id: host:port}, {topic: {partition: PartitionState}})."""
    body = struct.pack(">i", -1) if topics is None else struct.pack(">i", len(topics)) + b"".join(_string(t) for t in topics)
    r = _Reader(raw_request(addr, 3, 1, body))

    def broker():
        node, host, port = r.take(">i"), r.string(), r.take(">i")
        r.string()  # rack
        return node, "%s:%d" % (host, port)
    brokers = dict(r.array(broker))
    r.take(">i")  # controller id

    def partition():
        err, idx, leader = r.take(">hii")
        replicas = r.array(lambda: r.take(">i"))
        isr = r.array(lambda: r.take(">i"))
        return idx, PartitionState(err, leader, replicas, isr)

    def topic():
        err, name, _internal = r.take(">h"), r.string(), r.take(">b")
        parts = dict(r.array(partition))
        return name, (err, parts)
    out = {}
    for name, (err, parts) in r.array(topic):
        out[name] = parts if err == 0 else err
    return brokers, out


def raw_find_coordinator(addr, group):
    """FindCoordinator v1 (key type 0, a group) from one node: (error code, node id)."""
    r = _Reader(raw_request(addr, 10, 1, _string(group) + struct.pack(">b", 0)))
    r.take(">i")  # throttle
    err = r.take(">h")
    r.string()  # error message
    node = r.take(">i")
    return err, node


# ---- the cluster ----

class Cluster:
    def __init__(self, kind, tmp):
        self.kind, self.tmp = kind, tmp
        socks = []
        for _ in range(4 if kind == "tributary" else 3):  # held together: distinct ports
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        ports = [s.getsockname()[1] for s in socks]
        for s in socks:
            s.close()
        self.ports = dict(zip(NODES, ports))
        self.procs = {}  # Tributary: node -> Popen
        self.etcd = None
        if kind == "tributary":
            self.etcd_port = ports[3]
            self.chroot = "/interop-%s" % uuid.uuid4().hex[:8]
        self._admin = None
        self._restarts = []  # (node, thread, errors) of restart_in_background
        self.events = []  # (time.monotonic(), what): kills, stops, restarts, for the tests' reports

    # -- addresses --
    def addr(self, n):
        return "127.0.0.1:%d" % self.ports[n]

    @property
    def bootstrap(self):
        return ",".join(self.addr(n) for n in NODES)

    def bootstrap_of(self, nodes):
        return ",".join(self.addr(n) for n in nodes)

    def node_at(self, addr):
        return next(n for n in NODES if self.addr(n) == addr)

    # -- processes --
    def start(self):
        t0 = time.monotonic()
        if self.kind == "kafka":
            res = subprocess.run([KAFKA_CLUSTER, "start", self.tmp, *(str(self.ports[n]) for n in NODES),
                                  *_conftest().BROKER_OVERRIDES, *CLUSTER_OVERRIDES, *KAFKA_OVERRIDES],
                                 cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                 timeout=START_DEADLINE_S + 240)  # a first run fetches jars
            if res.returncode != 0:
                pytest.fail("the Apache Kafka cluster did not start:\n%s\n%s" % (res.stdout[-2000:], res.stderr[-6000:]))
        else:
            self._start_etcd()
            for n in NODES:
                self._launch_tributary(n)
            self.wait_whole(START_DEADLINE_S, in_sync=False)
        self.events.append((time.monotonic(), "cluster started in %.1fs" % (time.monotonic() - t0)))
        return self

    def _start_etcd(self):
        if not shutil.which("etcd"):
            pytest.fail("etcd is not installed: run scripts/install-etcd.sh")
        peer = socket.socket()
        peer.bind(("127.0.0.1", 0))
        peer_port = peer.getsockname()[1]
        peer.close()
        data = os.path.join(self.tmp, "etcd")
        log = open(os.path.join(self.tmp, "etcd.log"), "ab")
        client, peer_url = "http://127.0.0.1:%d" % self.etcd_port, "http://127.0.0.1:%d" % peer_port
        self.etcd = subprocess.Popen(
            ["etcd", "--name", "n", "--data-dir", data, "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
             "--initial-cluster", "n=%s" % peer_url, "--log-level", "warn"],
            cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        if not spec.wait_for_port("127.0.0.1:%d" % self.etcd_port, 30, alive=lambda: self.etcd.poll() is None):
            pytest.fail("etcd did not listen on %d:\n%s" % (self.etcd_port, _tail(os.path.join(self.tmp, "etcd.log"))))

    def node_dir(self, n):
        return os.path.join(self.tmp, "node-%d" % n)

    def log_of(self, n):
        return os.path.join(self.node_dir(n), "broker.log" if self.kind == "tributary" else "server.log")

    def _launch_tributary(self, n):
        if not os.path.exists(TRIBUTARY_CLI):
            pytest.fail("%s is not built: npm run build" % os.path.relpath(TRIBUTARY_CLI, ROOT))
        d = self.node_dir(n)
        os.makedirs(d, exist_ok=True)
        props = os.path.join(d, "server.properties")
        if not os.path.exists(props):  # config/server.properties, less its node.id: broker.id names the broker
            with open(os.path.join(ROOT, "config", "server.properties")) as src, open(props, "w") as dst:
                dst.writelines(line for line in src if line.split("=", 1)[0].strip() != "node.id")
        cmd = ["node", TRIBUTARY_CLI, "server-start", props,
               "--override", "broker.id=%d" % n,
               "--override", "listeners=PLAINTEXT://%s" % self.addr(n),
               "--override", "advertised.listeners=PLAINTEXT://%s" % self.addr(n),
               "--override", "log.dirs=%s" % os.path.join(d, "data"),
               "--override", "etcd.connect=127.0.0.1:%d%s" % (self.etcd_port, self.chroot)]
        for kv in TRIBUTARY_OVERRIDES + _conftest().BROKER_OVERRIDES + CLUSTER_OVERRIDES:
            cmd += ["--override", kv]
        log = open(self.log_of(n), "ab")
        self.procs[n] = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

    def _kafka_pid(self, n):
        try:
            with open(os.path.join(self.node_dir(n), "kafka.pid")) as f:
                return int(f.read().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def running(self, n):
        if self.kind == "tributary":
            p = self.procs.get(n)
            return p is not None and p.poll() is None
        pid = self._kafka_pid(n)
        return pid is not None and _pid_alive(pid)

    def live(self):
        return [n for n in NODES if self.running(n)]

    def kill(self, n):
        """kill -9 node n; returns once the process is gone."""
        assert self.running(n), "node %d is not running" % n
        t = time.monotonic()
        if self.kind == "tributary":
            p = self.procs[n]
            p.kill()
            p.wait(30)
        else:
            res = subprocess.run([KAFKA_CLUSTER, "kill", self.tmp, str(n)], cwd=ROOT, capture_output=True, text=True,
                                 timeout=60, stdin=subprocess.DEVNULL)
            assert res.returncode == 0, "kafka-ref-cluster.sh kill %d: %s" % (n, res.stderr)
        self.events.append((t, "kill -9 node %d" % n))
        return t

    def stop(self, n, deadline_s=30):
        """SIGTERM node n (a controlled shutdown) and wait until it has exited."""
        t = time.monotonic()
        if self.kind == "tributary":
            p = self.procs[n]
            p.terminate()
            try:
                p.wait(deadline_s)
            except subprocess.TimeoutExpired:
                raise AssertionError("node %d still running %ds after SIGTERM:\n%s" % (n, deadline_s, _tail(self.log_of(n))))
        else:
            pid = self._kafka_pid(n)
            assert pid and _pid_alive(pid), "node %d is not running" % n
            os.kill(pid, signal.SIGTERM)
            spec.poll_until(lambda: not _pid_alive(pid), "node %d (pid %d) to exit after SIGTERM" % (n, pid), deadline_s)
        self.events.append((t, "SIGTERM node %d (exited after %.1fs)" % (n, time.monotonic() - t)))
        return t

    def pause(self, n):
        """SIGSTOP node n: it stops answering, replicating and heartbeating until resume(n)."""
        self._signal(n, signal.SIGSTOP)
        self.events.append((time.monotonic(), "SIGSTOP node %d" % n))

    def resume(self, n):
        self._signal(n, signal.SIGCONT)
        self.events.append((time.monotonic(), "SIGCONT node %d" % n))

    def _signal(self, n, sig):
        if self.kind == "tributary":
            self.procs[n].send_signal(sig)
        else:
            pid = self._kafka_pid(n)
            assert pid and _pid_alive(pid), "node %d is not running" % n
            os.kill(pid, sig)

    def restart(self, n, deadline_s=START_DEADLINE_S):
        """Starts node n again on its data (stopping it first if it runs); returns once every running
        node lists every running node as a broker."""
        t = time.monotonic()
        if self.kind == "kafka":
            res = subprocess.run([KAFKA_CLUSTER, "restart", self.tmp, str(n)], cwd=ROOT, capture_output=True, text=True,
                                 timeout=deadline_s + 60, stdin=subprocess.DEVNULL)
            if res.returncode != 0:
                raise AssertionError("kafka-ref-cluster.sh restart %d failed:\n%s" % (n, res.stderr[-6000:]))
        else:
            if self.running(n):
                self.stop(n)
            self._launch_tributary(n)
            self.wait_brokers(self.live(), deadline_s)
        self.events.append((t, "restart node %d (up after %.1fs)" % (n, time.monotonic() - t)))
        return t

    def restart_in_background(self, n):
        """restart(n) in a thread (the test goes on meanwhile); wait_restarts() joins it."""
        errors = []

        def run():
            try:
                self.restart(n)
            except BaseException as e:  # handed to wait_restarts()
                errors.append(e)
        t = threading.Thread(target=run, name="restart-node-%d" % n, daemon=True)
        t.start()
        self._restarts.append((n, t, errors))

    def wait_restarts(self, deadline_s=START_DEADLINE_S + 60):
        pending, self._restarts = self._restarts, []
        for n, t, errors in pending:
            t.join(deadline_s)
            if t.is_alive():
                raise AssertionError("restarting node %d took more than %ds" % (n, deadline_s))
            if errors:
                raise errors[0]

    def close(self):
        if self._admin is not None:
            self._admin = None
        if self.kind == "kafka":
            subprocess.run([KAFKA_CLUSTER, "stop", self.tmp], cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL,
                           capture_output=True)
            for n in NODES:  # anything the script could not stop
                pid = self._kafka_pid(n)
                if pid and _pid_alive(pid):
                    os.kill(pid, signal.SIGKILL)
            return
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for n, p in self.procs.items():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        if self.etcd is not None and self.etcd.poll() is None:
            self.etcd.terminate()
            try:
                self.etcd.wait(10)
            except subprocess.TimeoutExpired:
                self.etcd.kill()
                self.etcd.wait(10)

    def logs(self, n=None, lines=30):
        return "\n".join("--- node %d (%s) ---\n%s" % (m, "up" if self.running(m) else "down", _tail(self.log_of(m), lines))
                         for m in ([n] if n else NODES))

    # -- what the cluster says --
    def admin(self):
        from confluent_kafka.admin import AdminClient
        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap, "socket.timeout.ms": 10000,
                                       "reconnect.backoff.max.ms": 1000, "logger": _quiet_logger()})
        return self._admin

    def partition(self, topic, partition=0):
        """The partition's state as Metadata through the admin client gives it now (None: unknown)."""
        try:
            md = self.admin().list_topics(topic, timeout=10)
        except Exception:  # no broker answered in time
            return None
        t = md.topics.get(topic)
        if t is None or t.error is not None or partition not in t.partitions:
            return None
        p = t.partitions[partition]
        return PartitionState(p.error.code() if p.error else 0, p.leader, p.replicas, p.isrs)

    def leader_of(self, topic, partition=0):
        """The partition's leader (node id) per Metadata; -1 when it has none; None when unknown."""
        p = self.partition(topic, partition)
        return None if p is None else p.leader

    def partition_from(self, n, topic, partition=0):
        """The partition's state as node n's own metadata has it (raw Metadata v1 to that node)."""
        _, topics = raw_metadata(self.addr(n), [topic])
        parts = topics.get(topic)
        return parts.get(partition) if isinstance(parts, dict) else None

    def brokers_seen_by(self, n):
        try:
            brokers, _ = raw_metadata(self.addr(n), [])
        except (OSError, ConnectionError, struct.error):
            return None
        return sorted(brokers)

    def coordinator_of(self, group, deadline_s=30):
        """The group's coordinator (node id), per FindCoordinator to a running node, polled until it is
        a running node."""
        def ask():
            for n in self.live():
                try:
                    err, node = raw_find_coordinator(self.addr(n), group)
                except (OSError, ConnectionError, struct.error):
                    continue
                if err == 0 and node in NODES and self.running(node):
                    return node
            return None
        return spec.poll_until(ask, "a running coordinator for group %s" % group, deadline_s, interval=0.2)

    # -- waits --
    def wait_brokers(self, nodes, deadline_s=START_DEADLINE_S):
        """Until every node of nodes accepts connections and lists exactly nodes as brokers."""
        want = sorted(nodes)

        def ok():
            for n in want:
                if not self.running(n):
                    raise AssertionError("node %d exited:\n%s" % (n, self.logs(n)))
                if self.brokers_seen_by(n) != want:
                    return False
            return True
        try:
            spec.poll_until(ok, "nodes %s to list brokers %s" % (want, want), deadline_s, interval=0.25)
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, self.logs()))

    def wait_leader(self, topic, partition=0, other_than=(), deadline_s=30):
        """Until the partition has a leader that is a running node not in other_than; returns it."""
        def ok():
            p = self.partition(topic, partition)
            if p is None or p.leader < 0 or p.leader in other_than or not self.running(p.leader):
                return None
            return p.leader
        return spec.poll_until(ok, "a leader of %s-%d other than %s" % (topic, partition, list(other_than)),
                               deadline_s, interval=0.2)

    def wait_isr(self, topic, partition, want, deadline_s=30):
        """Until the partition's ISR is exactly want (a set of node ids); returns its state."""
        want = sorted(want)

        def ok():
            p = self.partition(topic, partition)
            return p if p is not None and p.isr == want else None
        return spec.poll_until(ok, "the ISR of %s-%d to be %s" % (topic, partition, want), deadline_s, interval=0.2)

    def wait_whole(self, deadline_s=START_DEADLINE_S, in_sync=True):
        """Until all three nodes run and list each other, and (in_sync) every replica of the group
        coordinators' topic is in sync again (a restarted node has caught up)."""
        self.wait_brokers(list(NODES), deadline_s)
        if not in_sync:
            return

        seen = []

        def offsets_in_sync():  # as every node's own metadata has it
            for n in NODES:
                try:
                    _, topics = raw_metadata(self.addr(n), [OFFSETS_TOPIC])
                except (OSError, ConnectionError, struct.error) as e:
                    seen[:] = ["node %d: %s" % (n, e)]
                    return False
                parts = topics.get(OFFSETS_TOPIC)
                if not isinstance(parts, dict):
                    continue  # not created yet (or not known to this node yet): nothing to catch up
                bad = {i: p for i, p in parts.items() if p.isr != sorted(p.replicas) or p.leader not in NODES}
                if bad:
                    seen[:] = ["node %d: %s" % (n, bad)]
                    return False
            return True
        try:
            spec.poll_until(offsets_in_sync, "every %s replica back in sync" % OFFSETS_TOPIC, deadline_s, interval=0.25)
        except AssertionError as e:
            raise AssertionError("%s: %s\n%s" % (e, seen, self.logs(lines=15)))

    # -- topics --
    def create_topic(self, name, partitions=1, replication=3, assignment=None, configs=None, deadline_s=30):
        """Creates a topic (assignment: [[node ids of partition 0, preferred leader first], ...]) and
        waits until every partition has a leader and all its replicas in sync."""
        from confluent_kafka.admin import NewTopic
        if assignment is not None:
            partitions = len(assignment)  # librdkafka: a partition count and no replication factor
            new = NewTopic(name, num_partitions=partitions, replica_assignment=assignment, config=dict(configs or {}))
        else:
            new = NewTopic(name, num_partitions=partitions, replication_factor=replication, config=dict(configs or {}))
        f = self.admin().create_topics([new], operation_timeout=20, request_timeout=25)
        f[name].result(timeout=30)

        def ready():  # in every running node's metadata (Kafka's brokers learn of a new topic one by one)
            states = []
            for n in self.live():
                try:
                    _, topics = raw_metadata(self.addr(n), [name])
                except (OSError, ConnectionError, struct.error):
                    return None
                parts = topics.get(name)
                if not isinstance(parts, dict) or sorted(parts) != list(range(partitions)):
                    return None
                if any(p.leader < 0 or p.isr != sorted(p.replicas) for p in parts.values()):
                    return None
                states.append([parts[i] for i in range(partitions)])
            return states[0] if states and all(repr(s) == repr(states[0]) for s in states) else None
        return spec.poll_until(ready, "topic %s with every replica in sync, in every node's metadata" % name,
                               deadline_s, interval=0.2)

    def high_watermark(self, topic, partition=0):
        """The partition's log end for consumers (read_committed off: the high watermark)."""
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "interop-unused-hw", "logger": _quiet_logger(),
                      "enable.auto.commit": False})
        try:
            return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=15, cached=False)[1]
        finally:
            c.close()

    def committed(self, group, topic, partition=0, deadline_s=30):
        """The group's committed offset for the partition (None: none), as its coordinator (found with
        FindCoordinator) answers OffsetFetch v5; polled through coordinator moves and loads (an error,
        of the group or the partition, is asked again)."""
        def ask():
            node = self.coordinator_of(group, deadline_s)
            body = _string(group) + struct.pack(">i", 1) + _string(topic) + struct.pack(">ii", 1, partition)
            try:
                r = _Reader(raw_request(self.addr(node), 9, 5, body))
                r.take(">i")  # throttle
                found = None
                for _ in range(r.take(">i")):
                    r.string()
                    for _ in range(r.take(">i")):
                        idx, offset, _epoch = r.take(">iqi")
                        r.string()
                        err = r.take(">h")
                        if idx == partition:
                            found = (err, offset)
                group_err = r.take(">h")
            except (OSError, ConnectionError, struct.error):
                return None
            # NOT_COORDINATOR (16), COORDINATOR_LOAD_IN_PROGRESS (14), ..._NOT_AVAILABLE (15): ask again
            # (a group-level error comes without the partitions)
            if group_err != 0:
                return None
            if found is None:
                raise AssertionError("OffsetFetch of %s has no partition %s-%d" % (group, topic, partition))
            if found[0] != 0:
                return None
            return ("ok", found[1] if found[1] >= 0 else None)
        return spec.poll_until(ask, "the committed offset of %s on %s-%d" % (group, topic, partition), deadline_s,
                               interval=0.2)[1]


def cluster_kind():
    """The kind of cluster the failover tests run against."""
    if _conftest().EXTERNAL_BROKER:
        pytest.skip("KAFKA_BOOTSTRAP names an outside broker; the failover tests start and kill their own cluster")
    kind = _conftest().broker_kind()
    return kind


@pytest.fixture(scope="session")
def cluster():
    """Three brokers of the kind under test, shared by the session's cluster tests; each test leaves
    it whole (every node running, in sync) for the next."""
    kind = cluster_kind()
    tmp = tempfile.mkdtemp(prefix="interop-cluster-%s-" % kind)
    c = Cluster(kind, tmp)
    try:
        c.start()
        yield c
    finally:
        c.close()
        if os.environ.get("INTEROP_KEEP_DIR"):
            print("\ninterop cluster dir kept: %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def whole_cluster(cluster):
    """The cluster, checked whole before the test, and made whole again after it: every node that the
    test killed or stopped is restarted and the group coordinators' topic back in sync."""
    cluster.wait_whole(60)
    try:
        yield cluster
    finally:
        cluster.wait_restarts()
        down = [n for n in NODES if not cluster.running(n)]
        for n in down:
            cluster.restart(n)
        if down:
            cluster.wait_whole(90)


KAFKA_LIBS = os.path.join(ROOT, ".cache", "kafka", os.environ.get("KAFKA_VERSION", "4.3.1"), "libs")


def kafka_tool(main_class, *args, timeout=120):
    """Runs one of Apache Kafka's own tools (the reference) from the cached jars; None without them."""
    if not os.path.isdir(KAFKA_LIBS):
        return None
    cmd = ["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dlog4j2.rootLogger.level=ERROR",
           "-cp", os.path.join(KAFKA_LIBS, "*"), main_class, *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout)
