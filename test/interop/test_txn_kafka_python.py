"""kafka-python 3.x transactions (.cache/venv-kp3, kafka_python_txn_client.py, one subprocess a
scenario): commit and abort read by read_committed and read_uncommitted consumers, and
consume-transform-produce with send_offsets_to_transaction(offsets, consumer.group_metadata())."""
import os

import pytest

import spec
from conftest import HERE, VENV_KP3, require_file, run_client


def run(bootstrap, scenario):
    require_file(VENV_KP3, "run scripts/install-interop.sh python")
    res = run_client([VENV_KP3, os.path.join(HERE, "kafka_python_txn_client.py"), scenario, bootstrap,
                      spec.topic_name("txn-kp3")], timeout=120)
    assert "kafka-python 3." in res.stdout


def test_commit_abort_read_committed(bootstrap):
    run(bootstrap, "commit-abort")


@pytest.mark.groups
def test_send_offsets_to_transaction(bootstrap):
    run(bootstrap, "ctp")
