"""Tributary's own client library doing transactions (test/interop/js/tributary-transactions.mjs) on
the broker under test (Tributary, or Apache Kafka with INTEROP_BROKER=kafka): commit and abort with
transaction version 2 (what the broker finalizes) and version 1 (forced), a read_committed consumer
that never sees an aborted record or one of an open transaction, a fenced zombie, the
consume-transform-produce helper (exactly once), and the admin client's transaction calls
(list, describe, describe producers, abort by WriteTxnMarkers)."""
import json
import os
import subprocess
import uuid

import pytest

from conftest import ROOT

SCRIPT = os.path.join(ROOT, "test", "interop", "js", "tributary-transactions.mjs")
KIND = os.environ.get("INTEROP_BROKER", "tributary")


def scenario(bootstrap, name, *extra):
    prefix = "txn-tc-%s-%s" % (name, uuid.uuid4().hex[:8])
    res = subprocess.run(["node", SCRIPT, "--bootstrap", bootstrap, "--scenario", name, "--prefix", prefix, *extra],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, "scenario %s exited %d\nstdout:\n%s\nstderr:\n%s" % (name, res.returncode, res.stdout, res.stderr)
    return json.loads(res.stdout.strip().split("\n")[-1])


@pytest.mark.parametrize("tv", ["auto", "1"])
def test_commit_abort_and_read_committed(bootstrap, tv):
    r = scenario(bootstrap, "commit-abort", *(["--tv", "1"] if tv == "1" else []))
    # Kafka 4.3.1 and Tributary both finalize transaction.version 2.
    assert r["transactionVersion"] == (1 if tv == "1" else 2)
    # Version 2 bumps the epoch at every commit and abort; version 1 keeps it.
    assert r["epochBumps"] == ([0, 0] if tv == "1" else [1, 2])
    assert r["readUncommitted"] == ["a1", "a2", "c1", "c2", "c3", "open"]
    if KIND == "tributary" and r["readCommitted"] != ["c1", "c2", "c3"]:
        pytest.xfail("Tributary's Fetch does not list aborted transactions yet (.txnindex: branch txn-storage)")
    assert r["readCommitted"] == ["c1", "c2", "c3"]


@pytest.mark.parametrize("tv", ["auto", "1"])
def test_fenced_zombie(bootstrap, tv):
    r = scenario(bootstrap, "fencing", *(["--tv", "1"] if tv == "1" else []))
    assert r["fenced"] and r["zombieError"] == "ProducerFencedError" and r["zombieState"] == "fatalError", r
    if KIND == "tributary" and r["readCommitted"] != ["successor"]:
        pytest.xfail("Tributary's Fetch does not list aborted transactions yet (.txnindex: branch txn-storage)")
    assert r["readCommitted"] == ["successor"]


@pytest.mark.parametrize("tv", ["auto", "1"])
def test_exactly_once_helper(bootstrap, tv):
    r = scenario(bootstrap, "exactly-once", *(["--tv", "1"] if tv == "1" else []))
    assert r["missing"] == [] and r["outputs"] == 200 and r["distinct"] == 200, r
    assert r["committed"] == 200, r


def test_admin_transactions(bootstrap):
    r = scenario(bootstrap, "admin")
    assert r["listed"] == [{"state": "Ongoing", "producerId": r["producerId"]}], r
    d = r["described"]
    assert d["state"] == "Ongoing" and d["timeout"] == 60000 and d["open"] and d["epoch"] == r["epoch"], r
    assert d["partitions"][0].endswith("-adm-0") and len(d["partitions"]) == 1, r
    if KIND == "tributary" and r.get("describeProducersError") == "UNSUPPORTED_VERSION":
        pytest.xfail("Tributary serves DescribeProducers from branch txn-storage")
    assert "describeProducersError" not in r, r
    mine = [p for p in r["producers"] if p["producerId"] == r["producerId"]]
    assert mine and mine[0]["start"] == "0" and mine[0]["epoch"] == r["epoch"] and mine[0]["lastSequence"] == 1, r
    assert r["afterAbort"] == ["-1"] * len(r["afterAbort"]), r
