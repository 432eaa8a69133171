"""Java kafka-clients 4.3.1 transactions (java/'s TxnClient, one scenario a run): a transactional
producer read back by read_committed and read_uncommitted consumers: commit; abort; commit, abort,
commit on one partition (the offsets each isolation level returns, markers never returned, the
position past the last marker); a fenced zombie; a transaction the broker aborts at its timeout;
consume-transform-produce with sendOffsetsToTransaction(offsets, groupMetadata).

Each scenario checks itself and prints OK with what it saw (the zombie's and the timed-out
producer's exceptions), which the test also asserts: the same classes as against Apache Kafka.
"""
import re
import shutil

import pytest

import spec
from conftest import JAVA_JAR, ROOT, require_file, run_client

MAIN = "dev.tributary.interop.TxnClient"


def txn_client(bootstrap, scenario):
    java = shutil.which("java")
    assert java, "java is not on PATH"
    require_file(JAVA_JAR, "run scripts/install-interop.sh java")
    res = run_client([java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", JAVA_JAR, MAIN, scenario,
                      bootstrap, spec.topic_name("txn-java")], timeout=120, cwd=ROOT)
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("OK ")][-1]
    return dict(re.findall(r"(\S+)=(\S+)", line))


def test_commit(bootstrap):
    assert txn_client(bootstrap, "commit")["records"] == "12"


def test_abort(bootstrap):
    got = txn_client(bootstrap, "abort")
    assert (got["read_committed"], got["read_uncommitted"]) == ("4", "10")


def test_markers_never_returned(bootstrap):
    got = txn_client(bootstrap, "markers")
    assert (got["read_committed"], got["read_uncommitted"]) == ("6", "9")


def test_fenced_zombie(bootstrap):
    got = txn_client(bootstrap, "fence")
    # as against Kafka 4.3.1 (transaction.version 2): the partition refuses the zombie's produce with
    # INVALID_PRODUCER_EPOCH (the successor's InitProducerId bumped the epoch and its ABORT marker
    # carries it), and the client's commit then rethrows that abortable error
    assert got["zombie-send"] == "ExecutionException/InvalidProducerEpochException", got
    assert got["zombie-commit"] == "InvalidProducerEpochException", got


def test_transaction_timeout(bootstrap):
    got = txn_client(bootstrap, "timeout")
    # as against Kafka 4.3.1: EndTxn(commit) from the producer whose transaction the coordinator
    # aborted (bumping its epoch) fails with INVALID_TXN_STATE
    assert got["timeout-commit"] == "InvalidTxnStateException", got


@pytest.mark.groups
def test_consume_transform_produce(bootstrap):
    assert txn_client(bootstrap, "ctp")["output"] == "8"
