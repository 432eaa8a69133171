"""Which version of each API the Java 4.3.1 clients send: the newest they have, against Tributary as
against Apache Kafka 4.3.1. test/interop/java's VersionsClient runs Admin, an idempotent producer, a
classic group consumer and a group.protocol=consumer one, with the clients' NetworkClient logging
every request header at DEBUG; it prints the newest stable version of every API the client has
(ApiKeys.latestVersion(false))."""
import re
import shutil

import pytest

import spec
from conftest import JAVA_JAR, ROOT, require_file, run_client

SENT = re.compile(r"Sending \w+ request with header RequestHeader\(apiKey=(\w+), apiVersion=(\d+), clientId=([^,]*),")
# What the workload sends, on either broker (Kafka's Admin also sends DescribeTopicPartitions).
EXERCISED = {
    "API_VERSIONS", "METADATA", "CREATE_TOPICS", "DESCRIBE_CLUSTER", "DESCRIBE_CONFIGS", "INCREMENTAL_ALTER_CONFIGS",
    "CREATE_PARTITIONS", "INIT_PRODUCER_ID", "PRODUCE", "LIST_OFFSETS", "DELETE_RECORDS", "FIND_COORDINATOR",
    "JOIN_GROUP", "SYNC_GROUP", "LEAVE_GROUP", "OFFSET_FETCH", "OFFSET_COMMIT", "FETCH", "CONSUMER_GROUP_HEARTBEAT",
    "LIST_GROUPS", "CONSUMER_GROUP_DESCRIBE", "DESCRIBE_GROUPS", "OFFSET_DELETE", "DELETE_GROUPS", "DELETE_TOPICS",
}


@pytest.mark.kip848
def test_java_clients_send_their_newest_versions(bootstrap):
    java = shutil.which("java")
    assert java, "java is not on PATH"
    require_file(JAVA_JAR, "run scripts/install-interop.sh java")
    res = run_client([java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                      "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients.NetworkClient=debug",
                      "-cp", JAVA_JAR, "dev.tributary.interop.VersionsClient", bootstrap, spec.topic_name("versions")],
                     timeout=150, cwd=ROOT)
    latest_line = next(line for line in res.stdout.splitlines() if line.startswith("LATEST "))
    latest = {k: int(v) for k, v in (kv.split("=") for kv in latest_line.split()[1:])}
    sent = {}  # api -> {version: set of client ids}
    for api, version, client in SENT.findall(res.stderr):
        sent.setdefault(api, {}).setdefault(int(version), set()).add(client)
    print("\n".join("%-28s %s (newest %d)" % (api, sorted(vs), latest[api]) for api, vs in sorted(sent.items())))
    missing = EXERCISED - set(sent)
    assert not missing, "the workload did not send %s" % sorted(missing)
    older = {api: sorted(vs) for api, vs in sent.items() if max(vs) != latest[api]}
    assert not older, "sent below the client's newest version: %s" % older
    # The KIP-848 consumer commits and fetches offsets by topic id (v10); the classic consumer and
    # Admin name topics (v9), as the Java client chooses for them.
    for api in ("OFFSET_COMMIT", "OFFSET_FETCH"):
        by = {c: v for v, cs in sent[api].items() for c in cs}
        assert [v for c, v in by.items() if c.endswith("-consumer-2")] == [10], (api, sent[api])
        assert {v for c, v in by.items() if not c.endswith("-consumer-2")} == {9}, (api, sent[api])
