"""KafkaJS 2.2.4 transactions (js/kafkajs-txn.mjs): commit, abort and sendOffsets in a transaction,
read back by group consumers with readUncommitted false and true."""
import os
import shutil

import pytest

import spec
from conftest import HERE, ROOT, require_file, run_client


@pytest.mark.groups
def test_transactions_send_offsets_read_committed(bootstrap):
    node = shutil.which("node")
    assert node, "node is not on PATH"
    require_file(os.path.join(ROOT, "node_modules", "kafkajs"), "run npm ci")
    res = run_client([node, os.path.join(HERE, "js", "kafkajs-txn.mjs"), bootstrap, spec.topic_name("txn-kafkajs")],
                     timeout=120, cwd=ROOT)
    assert "read_committed=5 read_uncommitted=8" in res.stdout
