"""Decompression bombs (CVE-2023-34455 class) on the broker under test: 1 GiB gzip, LZ4 and zstd
bombs of zeros (js/bombs.mjs) are refused with INVALID_RECORD by both Tributary and Apache Kafka
4.3.1, and the broker takes normal compressed batches of every codec afterwards. (The snappy bombs
are left out: Kafka 4.3.1 answers them with UNKNOWN_SERVER_ERROR after an OutOfMemoryError in
snappy-java, see README, Security.)"""
import json
import os

from conftest import HERE, run_client

INVALID_RECORD = 87


def test_bombs_refused_and_broker_serves(bootstrap):
    res = run_client(["node", os.path.join(HERE, "js", "bombs.mjs"), bootstrap], timeout=120)
    lines = [json.loads(l) for l in res.stdout.splitlines() if l.startswith("{")]
    assert [(l["bomb"], l["errorCode"]) for l in lines if "bomb" in l] == [
        ("gzip", INVALID_RECORD), ("lz4", INVALID_RECORD), ("zstd", INVALID_RECORD)]
    assert [l["errorCode"] for l in lines if "normal" in l] == [0, 0, 0, 0]
