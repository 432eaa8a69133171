"""KafkaJS 2.2.4 and @platformatic/kafka (from the project's devDependencies), each a node script
in js/ run once per codec, and Tributary's own client library (js/client.mjs); a script exits non-zero
with the first mismatch."""
import os
import shutil

import pytest

import spec
from conftest import HERE, ROOT, require_file, run_client

SCRIPTS = {"kafkajs": "kafkajs.mjs", "platformatic": "platformatic.mjs"}


@pytest.mark.parametrize("codec", spec.CODECS)
@pytest.mark.parametrize("client", list(SCRIPTS))
def test_produce_consume_list_offsets(bootstrap, client, codec):
    node = shutil.which("node")
    assert node, "node is not on PATH"
    require_file(os.path.join(ROOT, "node_modules", "kafkajs" if client == "kafkajs" else "@platformatic/kafka"),
                 "run npm ci")
    topic = spec.topic_name(client, codec)
    run_client([node, os.path.join(HERE, "js", SCRIPTS[client]), bootstrap, topic, codec], cwd=ROOT)


def test_tributary_client_library(bootstrap):
    """Tributary's own client library (src/client: Admin, Producer, Consumer, built to dist/) against
    the broker under test: the same script passes against Apache Kafka (INTEROP_BROKER=kafka)."""
    node = shutil.which("node")
    assert node, "node is not on PATH"
    require_file(os.path.join(ROOT, "dist", "src", "index.js"), "run npm run build")
    run_client([node, os.path.join(HERE, "js", "client.mjs"), bootstrap, spec.topic_name("client")], cwd=ROOT)
