"""bin/kafka-dump-log.sh against Apache Kafka 4.3.1's own DumpLogSegments, on the same files.

Each test writes a log directory with one broker (its own, in a temporary directory: a Tributary
broker, or Kafka's reference broker from scripts/kafka-ref.sh), stops it, then runs both tools over
every .log, .index, .timeindex and .snapshot file with each flag set, and requires the same stdout
and stderr, byte for byte. Nothing is ignored: the files are read offline, so Kafka's output has
nothing nondeterministic in it. The data: three keyed records per codec (none, gzip, snappy, lz4,
zstd), records with headers, an idempotent producer, a consumer group's commits in
__consumer_offsets, kafka-python 3 transactions committed and aborted (control records, a
.txnindex, the open transactions in .snapshot files) and, on Kafka's broker, a transactional
producer (__transaction_state for --transaction-log-decoder).
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile

import pytest

from conftest import KAFKA_REF, ROOT, TRIBUTARY_CLI, VENV_KP3

BIN = os.path.join(ROOT, "bin")
LIBS = os.path.join(ROOT, ".cache", "kafka", "4.3.1", "libs")
FLAG_SETS = [[], ["--deep-iteration"], ["--print-data-log"], ["--index-sanity-check"], ["--verify-index-only"],
             ["--max-bytes", "200"], ["--print-data-log", "--skip-record-metadata"]]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name, *args, stdin=None):
    res = subprocess.run([os.path.join(BIN, name), *args], input=stdin, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, "%s %s: %s" % (name, args, res.stderr)
    return res


TXN_SAMPLE = """
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1], transactional_id="dump-tx")
p.init_transactions()
for values, commit in ((["c1", "c2"], True), (["a1", "a2", "a3"], False), (["c3"], True), (["a4"], False)):
    p.begin_transaction()
    for v in values:
        p.send("t-txn-abort", v.encode())
    p.flush()
    if commit:
        p.commit_transaction()
    else:
        p.abort_transaction()
p.close()
"""


def produce_sample(bootstrap):
    b = ["--bootstrap-server", bootstrap]
    for t in ["t-none", "t-gzip", "t-snappy", "t-lz4", "t-zstd", "t-headers", "t-idem"]:
        tool("kafka-topics.sh", *b, "--create", "--topic", t, "--partitions", "1", "--replication-factor", "1")
    for c in ["none", "gzip", "snappy", "lz4", "zstd"]:
        tool("kafka-console-producer.sh", *b, "--topic", "t-" + c, "--compression-codec", c,
             "--reader-property", "parse.key=true", stdin="k1\tv1-%s\nk2\tv2-%s\nk3\t\u00e9t\u00e9-%s\n" % (c, c, c))
    tool("kafka-console-producer.sh", *b, "--topic", "t-headers", "--reader-property", "parse.key=true",
         "--reader-property", "parse.headers=true", stdin="h1:a,h2:b\tk1\thello\nh3:c\tk2\tworld\n")
    tool("kafka-console-producer.sh", *b, "--topic", "t-idem", "--producer-property", "enable.idempotence=true",
         stdin="x\ny\nz\n")
    tool("kafka-console-consumer.sh", *b, "--topic", "t-none", "--group", "g1", "--from-beginning",
         "--max-messages", "3")
    tool("kafka-topics.sh", *b, "--create", "--topic", "t-txn-abort", "--partitions", "1", "--replication-factor", "1")
    res = subprocess.run([VENV_KP3, "-c", TXN_SAMPLE, bootstrap], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr


def segment_files(data):
    found = []
    for ext in ("log", "index", "timeindex", "snapshot", "txnindex"):
        found += glob.glob(os.path.join(data, "*", "*." + ext))
    return sorted(f for f in found if "__cluster_metadata" not in f and "__consumer_offsets" not in f
                  and "__transaction_state" not in f)


def both(args):
    ours = subprocess.run(["node", TRIBUTARY_CLI, "dump-log", *args], capture_output=True, text=True, timeout=120)
    kafka = subprocess.run(["flock", "/tmp/heavy.lock", "java", "-cp", LIBS + "/*",
                            "org.apache.kafka.tools.DumpLogSegments", *args], capture_output=True, text=True, timeout=300)
    return ours, kafka


def assert_same(args):
    ours, kafka = both(args)
    assert kafka.returncode == 0, kafka.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.splitlines() == kafka.stdout.splitlines(), args
    assert ours.stderr.splitlines() == kafka.stderr.splitlines(), args


def compare_all(data):
    files = ",".join(segment_files(data))
    for flags in FLAG_SETS:
        assert_same(["--files", files, *flags])
    offsets = ",".join(sorted(glob.glob(os.path.join(data, "__consumer_offsets-*", "*.log"))))
    assert_same(["--files", offsets, "--offsets-decoder"])


@pytest.fixture
def tributary_data():
    d = tempfile.mkdtemp(prefix="dumplog-trib-")
    port = free_port()
    proc = subprocess.Popen(["node", TRIBUTARY_CLI, "server-start", os.path.join(ROOT, "config", "server.properties"),
                             "--override", "log.dirs=" + os.path.join(d, "data"),
                             "--override", "listeners=PLAINTEXT://127.0.0.1:%d" % port,
                             "--override", "advertised.listeners=PLAINTEXT://127.0.0.1:%d" % port,
                             "--override", "offsets.topic.num.partitions=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # the broker logs "broker started" once it listens
        for line in proc.stdout:
            if '"broker started"' in line:
                break
        else:
            pytest.fail("the broker exited before it started")
        produce_sample("127.0.0.1:%d" % port)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    yield os.path.join(d, "data")
    shutil.rmtree(d, ignore_errors=True)


def test_dump_log_matches_kafka_on_tributary_files(tributary_data):
    assert glob.glob(os.path.join(tributary_data, "t-txn-abort-0", "*.txnindex")), "the aborts made a .txnindex"
    compare_all(tributary_data)


def test_dump_log_matches_kafka_on_kafka_files():
    d = tempfile.mkdtemp(prefix="dumplog-kafka-")
    port = free_port()
    try:
        subprocess.run(["flock", "/tmp/heavy.lock", KAFKA_REF, "start", d, str(port)], check=True, timeout=180)
        try:
            produce_sample("127.0.0.1:%d" % port)
            subprocess.run(["java", "-cp", LIBS + "/*", "org.apache.kafka.tools.ProducerPerformance", "--topic", "t-txn",
                            "--num-records", "20", "--record-size", "10", "--throughput", "-1",
                            "--command-property", "bootstrap.servers=127.0.0.1:%d" % port,
                            "--transactional-id", "tx1", "--transaction-duration-ms", "100"],
                           check=True, capture_output=True, timeout=120)
        finally:
            subprocess.run([KAFKA_REF, "stop", d], check=True, timeout=60)
        data = os.path.join(d, "data")
        compare_all(data)
        txn = max(glob.glob(os.path.join(data, "__transaction_state-*", "*.log")), key=os.path.getsize)
        assert_same(["--files", txn, "--transaction-log-decoder"])
    finally:
        shutil.rmtree(d, ignore_errors=True)
