"""Fixtures for the interop suite: the broker under test and paths to the real clients.

KAFKA_BOOTSTRAP set: the suite uses that broker as it is. Unset: the session starts one itself on
a free loopback port and a temp dir, and stops it at the end:
  - Tributary (default): node dist/src/cli/tributary.js server-start <tmp>/server.properties
    --override listeners=... --override advertised.listeners=... --override log.dirs=<tmp>/data
  - Apache Kafka, when INTEROP_BROKER=kafka: scripts/kafka-ref.sh (jars from scripts/fetch-kafka.sh)
"""
import os
import shutil
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
TRIBUTARY_CLI = os.path.join(ROOT, "dist", "src", "cli", "tributary.js")
START_DEADLINE_S = 60


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


def _start_tributary(tmp, port):
    if not os.path.exists(TRIBUTARY_CLI):
        pytest.skip("Tributary's broker entry point %s is not built yet (npm run build); "
                    "set INTEROP_BROKER=kafka or KAFKA_BOOTSTRAP to run the suite against another broker"
                    % os.path.relpath(TRIBUTARY_CLI, ROOT))
    props = os.path.join(tmp, "server.properties")
    shutil.copyfile(os.path.join(ROOT, "config", "server.properties"), props)
    log = open(os.path.join(tmp, "broker.log"), "wb")
    cmd = ["node", TRIBUTARY_CLI, "server-start", props,
           "--override", "listeners=PLAINTEXT://127.0.0.1:%d" % port,
           "--override", "advertised.listeners=PLAINTEXT://127.0.0.1:%d" % port,
           "--override", "log.dirs=%s" % os.path.join(tmp, "data")]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    if not spec.wait_for_port("127.0.0.1:%d" % port, START_DEADLINE_S, alive=lambda: proc.poll() is None):
        proc.kill()
        proc.wait(10)
        pytest.fail("Tributary did not listen on 127.0.0.1:%d within %ds (exit %s):\n%s"
                    % (port, START_DEADLINE_S, proc.returncode, _tail(os.path.join(tmp, "broker.log"))))

    def stop():
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return stop


def _start_kafka(tmp, port):
    script = os.path.join(ROOT, "scripts", "kafka-ref.sh")
    res = subprocess.run([script, "start", tmp, str(port)], cwd=ROOT, capture_output=True, text=True,
                         timeout=START_DEADLINE_S + 240, stdin=subprocess.DEVNULL)  # a first run fetches jars
    if res.returncode != 0:
        pytest.fail("Apache Kafka did not start: %s\n%s" % (res.stderr, _tail(os.path.join(tmp, "server.log"))))

    def stop():
        subprocess.run([script, "stop", tmp], cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
    return stop


@pytest.fixture(scope="session")
def bootstrap():
    """host:port of the broker under test."""
    if os.environ.get("KAFKA_BOOTSTRAP"):
        yield os.environ["KAFKA_BOOTSTRAP"]
        return
    kind = os.environ.get("INTEROP_BROKER", "tributary")
    if kind not in ("tributary", "kafka"):
        pytest.fail("INTEROP_BROKER must be tributary or kafka, not %r" % kind)
    tmp = tempfile.mkdtemp(prefix="interop-%s-" % kind)
    port = _free_port()
    stop = (_start_kafka if kind == "kafka" else _start_tributary)(tmp, port)
    addr = "127.0.0.1:%d" % port
    os.environ["KAFKA_BOOTSTRAP"] = addr  # for code that reads spec.bootstrap()
    try:
        yield addr
    finally:
        os.environ.pop("KAFKA_BOOTSTRAP", None)
        stop()
        if os.environ.get("INTEROP_KEEP_DIR"):
            print("\ninterop broker dir kept: %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


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
