"""Fixtures for the interop suite: the broker under test and paths to the real clients.

KAFKA_BOOTSTRAP set: the suite uses that broker as it is. Unset: the session starts one itself on
a free loopback port and a temp dir, and stops it at the end:
  - Tributary (default): node dist/tributary.mjs server-start <tmp>/server.properties
    --override listeners=... --override advertised.listeners=... --override log.dirs=<tmp>/data
  - Apache Kafka, when INTEROP_BROKER=kafka: scripts/kafka-ref.sh (jars from scripts/fetch-kafka.sh)
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import spec  # noqa: E402

CACHE = os.path.join(ROOT, ".cache")
VENV_KP2 = os.path.join(CACHE, "venv", "bin", "python")
VENV_KP3 = os.path.join(CACHE, "venv-kp3", "bin", "python")
JAVA_JAR = os.path.join(HERE, "java", "target", "interop-client.jar")
TRIBUTARY_CLI = os.path.join(ROOT, "dist", "tributary.mjs")
KAFKA_REF = os.path.join(ROOT, "scripts", "kafka-ref.sh")
START_DEADLINE_S = 60
EXTERNAL_BROKER = os.environ.get("KAFKA_BOOTSTRAP")  # set before the session starts: an outside broker


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no %s)" % path


# Broker settings both brokers get in the interop suite: KIP-848 (group.protocol=consumer) sessions
# default to 45 s with a 45 s floor; the group tests lower them so a crashed member's partitions move
# within seconds. The transaction coordinator looks for timed-out transactions every second instead of
# every 10 s, so the transaction-timeout tests (test_txn_*.py) see the abort within a few seconds. A
# broker ignores keys it does not know.
BROKER_OVERRIDES = (
    "group.consumer.session.timeout.ms=10000",
    "group.consumer.min.session.timeout.ms=6000",
    "group.consumer.heartbeat.interval.ms=1000",
    "group.consumer.min.heartbeat.interval.ms=1000",
    "transaction.abort.timed.out.transaction.cleanup.interval.ms=1000",
)


class Broker:
    """A broker the suite starts itself (Tributary, or Apache Kafka through scripts/kafka-ref.sh) on a
    loopback port and a directory it owns; stop() and start() again keep both, so a restart (graceful,
    or kill -9 with stop(kill=True)) comes back on the same data."""

    def __init__(self, kind, tmp, port=None, extra=()):
        self.kind, self.tmp = kind, tmp
        self.extra = tuple(extra)  # more server.properties lines (key=value) for this broker
        self.port = port or _free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.proc = None  # Tributary's process
        self.log = os.path.join(tmp, "broker.log" if kind == "tributary" else "server.log")

    def start(self):
        (self._start_tributary if self.kind == "tributary" else self._start_kafka)()
        return self

    def _start_tributary(self):
        if not os.path.exists(TRIBUTARY_CLI):
            pytest.skip("Tributary's broker entry point %s is not built yet (npm run build); "
                        "set INTEROP_BROKER=kafka or KAFKA_BOOTSTRAP to run the suite against another broker"
                        % os.path.relpath(TRIBUTARY_CLI, ROOT))
        props = os.path.join(self.tmp, "server.properties")
        shutil.copyfile(os.path.join(ROOT, "config", "server.properties"), props)
        log = open(self.log, "ab")
        cmd = ["node", TRIBUTARY_CLI, "server-start", props,
               "--override", "listeners=PLAINTEXT://127.0.0.1:%d" % self.port,
               "--override", "advertised.listeners=PLAINTEXT://127.0.0.1:%d" % self.port,
               "--override", "log.dirs=%s" % os.path.join(self.tmp, "data")]
        for kv in (*BROKER_OVERRIDES, *self.extra):
            cmd += ["--override", kv]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        if not spec.wait_for_port(self.addr, START_DEADLINE_S, alive=lambda: proc.poll() is None):
            proc.kill()
            proc.wait(10)
            pytest.fail("Tributary did not listen on %s within %ds (exit %s):\n%s"
                        % (self.addr, START_DEADLINE_S, proc.returncode, _tail(self.log)))
        self.proc = proc

    def _start_kafka(self):
        res = subprocess.run([KAFKA_REF, "start", self.tmp, str(self.port), *BROKER_OVERRIDES, *self.extra], cwd=ROOT,
                             capture_output=True, text=True, stdin=subprocess.DEVNULL,
                             timeout=START_DEADLINE_S + 240)  # a first run fetches jars
        if res.returncode != 0:
            pytest.fail("Apache Kafka did not start: %s\n%s" % (res.stderr, _tail(self.log)))

    def stop(self, kill=False):
        """Stops the broker: SIGTERM and a wait (a clean shutdown), or SIGKILL with kill=True."""
        if self.kind == "tributary":
            proc, self.proc = self.proc, None
            if proc is None:
                return
            if kill:
                proc.kill()
            else:
                proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            return
        pidfile = os.path.join(self.tmp, "kafka.pid")
        if kill and os.path.exists(pidfile):
            with open(pidfile) as f:
                pid = int(f.read().strip() or 0)
            if pid > 0:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                spec.poll_until(lambda: not _pid_alive(pid), "Kafka (pid %d) to die after SIGKILL" % pid, 30)
        subprocess.run([KAFKA_REF, "stop", self.tmp], cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)

    def restart(self, kill=False):
        self.stop(kill=kill)
        return self.start()


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child of ours stays a zombie until reaped; kafka-ref.sh's broker is not our child
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def broker_kind():
    kind = os.environ.get("INTEROP_BROKER", "tributary")
    if kind not in ("tributary", "kafka"):
        pytest.fail("INTEROP_BROKER must be tributary or kafka, not %r" % kind)
    return kind


@pytest.fixture(scope="session")
def bootstrap():
    """host:port of the broker under test."""
    if os.environ.get("KAFKA_BOOTSTRAP"):
        yield os.environ["KAFKA_BOOTSTRAP"]
        return
    kind = broker_kind()
    tmp = tempfile.mkdtemp(prefix="interop-%s-" % kind)
    broker = Broker(kind, tmp).start()
    os.environ["KAFKA_BOOTSTRAP"] = broker.addr  # for code that reads spec.bootstrap()
    try:
        yield broker.addr
    finally:
        os.environ.pop("KAFKA_BOOTSTRAP", None)
        broker.stop()
        if os.environ.get("INTEROP_KEEP_DIR"):
            print("\ninterop broker dir kept: %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def restartable_broker(bootstrap):
    """A second broker of the kind under test, of this test's own, on its own port and directory:
    .addr, .restart(kill=False|True) (same port, same data dir), .stop(). Skips when the suite runs
    against an outside broker (KAFKA_BOOTSTRAP), which it cannot restart."""
    if EXTERNAL_BROKER:
        pytest.skip("KAFKA_BOOTSTRAP names an outside broker; the suite cannot restart it")
    kind = broker_kind()
    tmp = tempfile.mkdtemp(prefix="interop-restart-%s-" % kind)
    broker = Broker(kind, tmp).start()
    try:
        yield broker
    finally:
        broker.stop()
        if os.environ.get("INTEROP_KEEP_DIR"):
            print("\nrestartable broker dir kept: %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# ---- group tests: skipped while the broker under test has no group coordinator ----

# marker -> (API key, its name): a test with the marker runs only when the broker advertises the key
GATED_MARKERS = {"groups": (11, "JoinGroup"), "kip848": (68, "ConsumerGroupHeartbeat")}
_gate_skips = {}  # marker -> [test ids skipped]
_api_keys = {}  # bootstrap -> set of advertised API keys


def api_versions(hostport, timeout=10.0):
    """The API keys a broker advertises: one ApiVersions v0 request over a raw socket."""
    import struct
    host, port = hostport.rsplit(":", 1)
    client_id = b"interop-probe"
    body = struct.pack(">hhih", 18, 0, 1, len(client_id)) + client_id
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(struct.pack(">i", len(body)) + body)

        def read(n):
            buf = b""
            while len(buf) < n:
                chunk = s.recv(n - len(buf))
                if not chunk:
                    raise ConnectionError("%s closed the connection during ApiVersions" % hostport)
                buf += chunk
            return buf
        (size,) = struct.unpack(">i", read(4))
        resp = read(size)
    corr, err, n = struct.unpack(">ihi", resp[:10])
    if corr != 1 or err != 0:
        raise AssertionError("ApiVersions v0 from %s: correlation id %d, error %d" % (hostport, corr, err))
    return {struct.unpack(">hhh", resp[10 + 6 * i:16 + 6 * i])[0] for i in range(n)}


@pytest.fixture(autouse=True)
def _gate_on_broker_apis(request):
    gates = [m for m in GATED_MARKERS if request.node.get_closest_marker(m)]
    if not gates:
        return
    addr = request.getfixturevalue("bootstrap")
    if addr not in _api_keys:
        _api_keys[addr] = api_versions(addr)
    for m in gates:
        key, name = GATED_MARKERS[m]
        if key not in _api_keys[addr]:
            if os.environ.get("INTEROP_REQUIRE_GROUPS"):
                pytest.fail("INTEROP_REQUIRE_GROUPS is set but the broker does not advertise %s (API key %d)"
                            % (name, key))
            _gate_skips.setdefault(m, []).append(request.node.nodeid)
            pytest.skip("[%s] the broker does not advertise %s (API key %d) in ApiVersions" % (m, name, key))


def pytest_terminal_summary(terminalreporter):
    for m, ids in _gate_skips.items():
        key, name = GATED_MARKERS[m]
        terminalreporter.write_line(
            "interop: %d test(s) marked `%s` SKIPPED because the broker under test does not advertise %s "
            "(API key %d) in ApiVersions; they run by themselves once it does (INTEROP_REQUIRE_GROUPS=1 "
            "makes them fail instead)" % (len(ids), m, name, key), yellow=True, bold=True)


def run_client(cmd, timeout=90, cwd=HERE):
    """Runs one client program; fails the test with its output unless it exits 0 and prints OK."""
    try:
        res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        pytest.fail("%s timed out after %ds\nstdout:\n%s\nstderr:\n%s"
                    % (" ".join(cmd), timeout, e.stdout or "", e.stderr or ""))
    if res.returncode != 0 or "OK" not in res.stdout:
        pytest.fail("%s exited %d\nstdout:\n%s\nstderr:\n%s"
                    % (" ".join(cmd), res.returncode, res.stdout[-4000:], res.stderr[-4000:]))
    return res


def require_file(path, how):
    if not os.path.exists(path):
        pytest.fail("%s is missing: %s" % (os.path.relpath(path, ROOT), how))


# The three-broker cluster of the failover tests (cluster.py): the session's `cluster`, and
# `whole_cluster`, which restarts whatever a test killed.
from cluster import cluster, whole_cluster  # noqa: E402,F401
