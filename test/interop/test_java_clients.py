"""Java kafka-clients 4.x (test/interop/java, built by scripts/install-interop.sh java): Admin,
the idempotent KafkaProducer (the 4.x default: InitProducerId first) and a group-less assigned
KafkaConsumer, once per codec."""
import shutil

import pytest

import spec
from conftest import JAVA_JAR, ROOT, require_file, run_client


@pytest.mark.parametrize("codec", spec.CODECS)
def test_produce_consume_list_offsets(bootstrap, codec):
    java = shutil.which("java")
    assert java, "java is not on PATH"
    require_file(JAVA_JAR, "run scripts/install-interop.sh java")
    topic = spec.topic_name("java", codec)
    run_client([java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-jar", JAVA_JAR, bootstrap, topic, codec],
               cwd=ROOT)
