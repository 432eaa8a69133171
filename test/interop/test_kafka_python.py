"""kafka-python 2.0.2 (.cache/venv) and the newest 3.x (.cache/venv-kp3), one subprocess per codec,
plus the seed tutorial's producer and consumer examples under both."""
import os

import pytest

import spec
from conftest import HERE, VENV_KP2, VENV_KP3, require_file, run_client

VERSIONS = {"2.0.2": VENV_KP2, "3.x": VENV_KP3}
HOW = "run scripts/install-interop.sh python"


@pytest.mark.parametrize("codec", spec.CODECS)
@pytest.mark.parametrize("version", list(VERSIONS))
def test_produce_consume_list_offsets(bootstrap, version, codec):
    python = VERSIONS[version]
    require_file(python, HOW)
    topic = spec.topic_name("kafka-python-%s" % version.replace(".", ""), codec)
    res = run_client([python, os.path.join(HERE, "kafka_python_client.py"), bootstrap, topic, codec])
    if version == "2.0.2":
        assert "kafka-python 2.0.2 " in res.stdout
    else:
        assert "kafka-python 3." in res.stdout


@pytest.mark.parametrize("version", list(VERSIONS))
def test_seed_tutorial_examples(bootstrap, version):
    python = VERSIONS[version]
    require_file(python, HOW)
    run_client([python, os.path.join(HERE, "seed_examples.py"), bootstrap], timeout=150)
