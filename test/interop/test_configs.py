"""Config parity with Apache Kafka 4.3.1, through confluent-kafka's AdminClient: a sample of the
range errors and refusals Kafka answers for topic and broker configs (exact codes and messages),
broker keys Kafka knows but does not act on, and group configs (ConfigResource type 32): set,
described, refused outside the broker's group.consumer.* bounds, kept across a restart, and
applied by the coordinator (a KIP-848 member killed with -9 leaves at its group's own session
timeout, not the broker's). The full case-by-case comparison is test/unit/kafka-configs.test.ts.
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import time

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource,
                                   NewTopic, ResourceType)

import spec

T = 30  # seconds, every blocking call
BROKER_SESSION_S = 10.0  # group.consumer.session.timeout.ms of the suite's brokers (conftest)


def admin_for(bootstrap):
    return AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 15000})


def node_id(admin):
    return str(next(iter(admin.list_topics(timeout=T).brokers)))


def set_op(name, value):
    return ConfigEntry(name, value, incremental_operation=AlterConfigOpType.SET)


def delete_op(name):
    return ConfigEntry(name, None, incremental_operation=AlterConfigOpType.DELETE)


def alter(admin, rtype, name, ops, validate_only=False):
    """IncrementalAlterConfigs of one resource: None when accepted, else (error code, message)."""
    res = ConfigResource(rtype, name, incremental_configs=ops)
    try:
        admin.incremental_alter_configs([res], validate_only=validate_only)[res].result(T)
        return None
    except KafkaException as e:
        err = e.args[0]
        return err.code(), err.str()


def describe(admin, rtype, name):
    res = ConfigResource(rtype, name)
    return admin.describe_configs([res])[res].result(T)


def create_topic(admin, topic):
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(T)
    spec.poll_until(lambda: topic in admin.list_topics(timeout=10).topics, "topic %s in metadata" % topic)


def invalid(key, value, message):
    return KafkaError.INVALID_CONFIG, "Invalid value %s for configuration %s: %s" % (value, key, message)


# Topic-level values Kafka 4.3.1 refuses, with its answers.
TOPIC_REFUSED = [
    ("segment.bytes", "1000", invalid("segment.bytes", "1000", "Value must be at least 1048576")),
    ("segment.bytes", "abc", invalid("segment.bytes", "abc", "Not a number of type INT")),
    ("retention.ms", "-2", invalid("retention.ms", "-2", "Value must be at least -1")),
    ("segment.index.bytes", "3", invalid("segment.index.bytes", "3", "Value must be at least 4")),
    ("compression.gzip.level", "0", invalid("compression.gzip.level", "0", "Value must be between 1 and 9 or equal to -1")),
    ("compression.zstd.level", "23", invalid("compression.zstd.level", "23", "Value must be no more than 22")),
    ("min.cleanable.dirty.ratio", "2", invalid("min.cleanable.dirty.ratio", "2.0", "Value must be no more than 1")),
    ("cleanup.policy", "sometimes", invalid("cleanup.policy", "sometimes", "String must be one of: compact, delete")),
    ("message.timestamp.type", "createtime",
     invalid("message.timestamp.type", "createtime", "String must be one of: CreateTime, LogAppendTime")),
    ("preallocate", "maybe", invalid("preallocate", "maybe", "Expected value to be either true or false")),
    ("remote.storage.enable", "true", (KafkaError.INVALID_CONFIG, "Tiered Storage functionality is disabled in the "
                                       "broker. Topic cannot be configured with remote log storage.")),
    ("message.format.version", "3.0", (KafkaError.INVALID_CONFIG, "Unknown topic config name: message.format.version")),
]


@pytest.mark.parametrize("key,value,answer", TOPIC_REFUSED, ids=["%s=%s" % (k, v) for k, v, _ in TOPIC_REFUSED])
def test_topic_value_refused_as_kafka_refuses_it(bootstrap, key, value, answer):
    admin = admin_for(bootstrap)
    topic = spec.topic_name("configs")
    create_topic(admin, topic)
    assert alter(admin, ResourceType.TOPIC, topic, [set_op(key, value)]) == answer
    # CreateTopics gives the same answer
    fresh = spec.topic_name("configs-new")
    fut = admin.create_topics([NewTopic(fresh, 1, 1, config={key: value})], validate_only=True)[fresh]
    with pytest.raises(KafkaException) as e:
        fut.result(T)
    assert (e.value.args[0].code(), e.value.args[0].str()) == answer


def test_topic_values_kafka_accepts(bootstrap):
    admin = admin_for(bootstrap)
    topic = spec.topic_name("configs-ok")
    create_topic(admin, topic)
    ok = [("segment.bytes", "1048576"), ("cleanup.policy", "compact,delete"), ("compression.gzip.level", "-1"),
          ("retention.ms", "-1"), ("min.cleanable.dirty.ratio", ".25"), ("local.retention.ms", "-2"),
          ("follower.replication.throttled.replicas", "*"), ("remote.log.copy.disable", "false")]
    assert alter(admin, ResourceType.TOPIC, topic, [set_op(k, v) for k, v in ok]) is None
    got = describe(admin, ResourceType.TOPIC, topic)
    assert {k: got[k].value for k, _ in ok} == {**dict(ok), "min.cleanable.dirty.ratio": "0.25"}
    assert all(got[k].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value for k, _ in ok)
    assert alter(admin, ResourceType.TOPIC, topic, [set_op("min.compaction.lag.ms", "10"), set_op("max.compaction.lag.ms", "5")]) == \
        (KafkaError.INVALID_CONFIG, "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)")


def test_broker_keys_as_kafka_answers_them(bootstrap):
    admin = admin_for(bootstrap)
    me = node_id(admin)
    B = ResourceType.BROKER
    # a range error of a dynamic key is INVALID_REQUEST for a broker resource
    assert alter(admin, B, me, [set_op("log.segment.bytes", "1000")], validate_only=True) == \
        (KafkaError.INVALID_REQUEST, "Invalid value 1000 for configuration log.segment.bytes: Value must be at least 1048576")
    assert alter(admin, B, me, [set_op("log.cleaner.min.cleanable.ratio", "1.5")], validate_only=True) == \
        (KafkaError.INVALID_REQUEST, "Invalid value 1.5 for configuration log.cleaner.min.cleanable.ratio: Value must be no more than 1")
    # keys Kafka knows but that a running broker cannot change
    assert alter(admin, B, me, [set_op("num.partitions", "3")], validate_only=True) == \
        (KafkaError.INVALID_REQUEST, "Cannot update these configs dynamically: [num.partitions]")
    assert alter(admin, B, me, [set_op("sasl.kerberos.kinit.cmd", "/bin/true"), set_op("num.partitions", "3"),
                                set_op("log.dirs", "/x"), set_op("broker.id", "2")], validate_only=True) == \
        (KafkaError.INVALID_REQUEST, "Cannot update these configs dynamically: [num.partitions, broker.id, log.dirs]")
    # per-broker keys (SASL/Kerberos among them) are accepted for this broker (librdkafka cannot
    # name the cluster-default resource "", where Kafka refuses them: the unit tests check that)
    assert alter(admin, B, me, [set_op("sasl.kerberos.service.name", "kafka"), set_op("sasl.enabled.mechanisms", "GSSAPI,PLAIN")],
                 validate_only=True) is None
    assert alter(admin, B, me, [set_op("ssl.keystore.location", "/x")], validate_only=True) == \
        (KafkaError.INVALID_REQUEST,
         "These security configs can be dynamically updated only per-listener using the listener prefix: [ssl.keystore.location]")
    # cluster-wide keys Tributary does not act on, thread counts within Kafka's resize rule
    assert alter(admin, B, me, [set_op("log.cleaner.backoff.ms", "20000"), set_op("max.connections.per.ip", "500"),
                                set_op("num.io.threads", "16")], validate_only=True) is None
    assert alter(admin, B, me, [set_op("num.io.threads", "100")], validate_only=True) == \
        (KafkaError.INVALID_REQUEST, "Invalid value org.apache.kafka.common.config.ConfigException: Dynamic thread count update "
         "validation failed for num.io.threads=100, value should not be greater than double the current value 8 for "
         "configuration Invalid dynamic configuration")
    # a key Kafka does not know (a plugin's) is kept, and described as Kafka describes one
    assert alter(admin, B, me, [set_op("interop.plugin.setting", "x"), set_op("sasl.kerberos.service.name", "kafka")]) is None
    try:
        def stored():
            got = describe(admin, B, me)
            return got if "interop.plugin.setting" in got and got["sasl.kerberos.service.name"].value == "kafka" else None
        got = spec.poll_until(stored, "the broker's new dynamic configs")
        plugin = got["interop.plugin.setting"]
        assert (plugin.value, plugin.is_sensitive, plugin.is_read_only, plugin.source) == \
            (None, True, True, ConfigSource.DYNAMIC_BROKER_CONFIG.value)
        assert got["sasl.kerberos.service.name"].source == ConfigSource.DYNAMIC_BROKER_CONFIG.value
    finally:
        assert alter(admin, B, me, [delete_op("interop.plugin.setting"), delete_op("sasl.kerberos.service.name")]) is None


def group_values(admin, group, *keys):
    got = describe(admin, ResourceType.GROUP, group)
    return {k: (got[k].value, ConfigSource(got[k].source).name) for k in keys}


def test_group_configs(bootstrap):
    admin = admin_for(bootstrap)
    group = spec.topic_name("configs-group")
    G = ResourceType.GROUP
    keys = ("consumer.session.timeout.ms", "consumer.heartbeat.interval.ms")
    assert group_values(admin, group, *keys) == {"consumer.session.timeout.ms": ("10000", "STATIC_BROKER_CONFIG"),
                                                 "consumer.heartbeat.interval.ms": ("1000", "STATIC_BROKER_CONFIG")}
    assert len(describe(admin, G, group)) == 17
    refused = [
        ([set_op("consumer.session.timeout.ms", "5000")],
         "consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms"),
        ([set_op("consumer.session.timeout.ms", "70000")],
         "consumer.session.timeout.ms must be less than or equal to group.consumer.max.session.timeout.ms"),
        ([set_op("consumer.heartbeat.interval.ms", "20000")],
         "consumer.heartbeat.interval.ms must be less than or equal to group.consumer.max.heartbeat.interval.ms"),
        ([set_op("consumer.heartbeat.interval.ms", "12000")],
         "consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms"),
        ([set_op("consumer.session.timeout.ms", "abc")],
         "Invalid value abc for configuration consumer.session.timeout.ms: Not a number of type INT"),
        ([set_op("share.auto.offset.reset", "EARLIEST")],
         "Invalid value EARLIEST for configuration share.auto.offset.reset: Invalid value `EARLIEST` for configuration "
         "share.auto.offset.reset. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'."),
        ([set_op("group.consumer.session.timeout.ms", "20000")], "Unknown group config name: group.consumer.session.timeout.ms"),
    ]
    for ops, message in refused:
        assert alter(admin, G, group, ops) == (KafkaError.INVALID_CONFIG, message)
    assert alter(admin, G, group, [set_op("consumer.session.timeout.ms", "20000"), set_op("consumer.heartbeat.interval.ms", "2500"),
                                   set_op("share.auto.offset.reset", "by_duration:PT1H")]) is None
    want = {"consumer.session.timeout.ms": ("20000", "GROUP_CONFIG"), "consumer.heartbeat.interval.ms": ("2500", "GROUP_CONFIG")}
    spec.poll_until(lambda: group_values(admin, group, *keys) == want, "the group's configs")
    got = describe(admin, G, group)
    assert got["share.auto.offset.reset"].value == "by_duration:PT1H"
    # the synonyms: the group's own value, then the broker key's (confluent-kafka keeps one entry per name)
    synonyms = [(s.name, s.value, ConfigSource(s.source).name) for s in got["consumer.session.timeout.ms"].synonyms.values()]
    assert synonyms[0] == ("consumer.session.timeout.ms", "20000", "GROUP_CONFIG")
    assert [s[0] for s in synonyms] == ["consumer.session.timeout.ms", "group.consumer.session.timeout.ms"]
    assert alter(admin, G, group, [delete_op("consumer.heartbeat.interval.ms")]) is None
    spec.poll_until(lambda: group_values(admin, group, "consumer.heartbeat.interval.ms")
                    == {"consumer.heartbeat.interval.ms": ("1000", "STATIC_BROKER_CONFIG")}, "the deleted config")


def test_group_configs_survive_a_restart(restartable_broker):
    admin = admin_for(restartable_broker.addr)
    group = spec.topic_name("configs-restart")
    assert alter(admin, ResourceType.GROUP, group, [set_op("consumer.session.timeout.ms", "30000")]) is None
    want = {"consumer.session.timeout.ms": ("30000", "GROUP_CONFIG")}
    spec.poll_until(lambda: group_values(admin, group, "consumer.session.timeout.ms") == want, "the group's config")
    restartable_broker.restart()
    admin = admin_for(restartable_broker.addr)
    spec.poll_until(lambda: group_values(admin, group, "consumer.session.timeout.ms") == want,
                    "the group's config after a restart", deadline_s=60)


def consumer_group_heartbeat_max_version(hostport):
    """The newest ConsumerGroupHeartbeat version the broker advertises (-1: none), from ApiVersions v0."""
    host, port = hostport.rsplit(":", 1)
    body = struct.pack(">hhih", 18, 0, 1, 7) + b"configs"
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    resp = buf[4:]
    _, err, n = struct.unpack(">ihi", resp[:10])
    for i in range(n):
        key, _, hi = struct.unpack(">hhh", resp[10 + 6 * i:16 + 6 * i])
        if key == 68:
            return hi
    return -1


MEMBER = textwrap.dedent("""
    import sys
    from confluent_kafka import Consumer
    bootstrap, group, topic = sys.argv[1:4]
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "group.protocol": "consumer"})
    c.subscribe([topic])
    announced = False
    while True:
        c.poll(0.2)
        if c.assignment() and not announced:
            print("ASSIGNED", flush=True)
            announced = True
""")


def test_kip848_member_leaves_at_its_groups_session_timeout(bootstrap, tmp_path):
    """The coordinator applies the group's consumer.session.timeout.ms (6 s) over the broker's (10 s)."""
    if consumer_group_heartbeat_max_version(bootstrap) < 1:
        pytest.skip("librdkafka's KIP-848 consumer needs ConsumerGroupHeartbeat v1, which the broker does not advertise")
    admin = admin_for(bootstrap)
    topic, group = spec.topic_name("configs-kip848"), spec.topic_name("configs-kip848-group")
    create_topic(admin, topic)
    assert alter(admin, ResourceType.GROUP, group, [set_op("consumer.session.timeout.ms", "6000")]) is None
    spec.poll_until(lambda: group_values(admin, group, "consumer.session.timeout.ms")
                    == {"consumer.session.timeout.ms": ("6000", "GROUP_CONFIG")}, "the group's config")
    script = tmp_path / "member.py"
    script.write_text(MEMBER)
    proc = subprocess.Popen([sys.executable, str(script), bootstrap, group, topic], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        end = time.monotonic() + 60
        line = ""
        while time.monotonic() < end and "ASSIGNED" not in line:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                pytest.fail("the member exited with %s before it was assigned" % proc.returncode)
        assert "ASSIGNED" in line, "the member was not assigned within 60 s"

        def members():
            d = admin.describe_consumer_groups([group])[group].result(T)
            return len(d.members)
        assert members() == 1
        os.kill(proc.pid, signal.SIGKILL)
        t0 = time.monotonic()
        proc.wait(10)
        spec.poll_until(lambda: members() == 0, "the killed member to be removed", deadline_s=30, interval=0.2)
        took = time.monotonic() - t0
        print("KIP-848 member removed %.2fs after kill -9 (group session timeout 6 s, broker's 10 s)" % took)
        assert 4.0 <= took <= BROKER_SESSION_S - 1.5, "removed after %.2fs" % took
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
