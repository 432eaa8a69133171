"""Security interop (issue 11): the same listener configuration on Tributary and Apache Kafka
(secure_broker.py: SASL_PLAINTEXT with PLAIN, SASL_SSL with SCRAM-SHA-512, SSL with mTLS), reached
by confluent-kafka (librdkafka), kcat, kafka-python 2.0.2, and over each of the three listeners by
the Java kafka-clients, KafkaJS, @platformatic/kafka, Tributary's client library and Tributary's
tools (admin: create and describe a topic; produce; consume in a group and commit; read the
commits back). The broker is this module's own (its listeners differ from the shared fixture's)."""
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import uuid

import pytest

import conftest
from secure_broker import LISTENERS, SecureBroker, roundtrip

KCAT = shutil.which("kcat") or shutil.which("kafkacat")


@pytest.fixture(scope="module")
def sb():
    if conftest.EXTERNAL_BROKER:
        pytest.skip("KAFKA_BOOTSTRAP names an outside broker; the security tests configure their own")
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is not installed")
    kind = conftest.broker_kind()
    tmp = tempfile.mkdtemp(prefix="interop-security-%s-" % kind)
    b = SecureBroker(kind, tmp).start()
    try:
        yield b
    finally:
        b.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def ck_conf(sb, listener, **extra):
    c = {"bootstrap.servers": sb.addr(listener), "ssl.ca.location": os.path.join(sb.certs, "ca.crt")}
    if listener == "SASLPLAIN":
        c.update({"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
                  "sasl.username": "alice", "sasl.password": "alice-secret"})
        del c["ssl.ca.location"]
    elif listener == "SASLSSL":
        c.update({"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
                  "sasl.username": "alice", "sasl.password": "alice-secret"})
    elif listener == "MTLS":
        c.update({"security.protocol": "SSL", "ssl.certificate.location": os.path.join(sb.certs, "client.crt"),
                  "ssl.key.location": os.path.join(sb.certs, "client.key")})
    c.update(extra)
    return c


@pytest.fixture(scope="module")
def scram_user(sb):
    """alice's SCRAM-SHA-512 credential, created by confluent-kafka's admin over the PLAIN listener."""
    from confluent_kafka.admin import AdminClient, UserScramCredentialUpsertion, ScramCredentialInfo, ScramMechanism
    conf = ck_conf(sb, "SASLPLAIN")
    conf.update({"sasl.username": "admin", "sasl.password": "admin-secret"})
    admin = AdminClient(conf)
    futs = admin.alter_user_scram_credentials([UserScramCredentialUpsertion(
        "alice", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), b"alice-secret", b"0123456789abcdef")])
    for f in futs.values():
        f.result(timeout=30)
    desc = admin.describe_user_scram_credentials(["alice"])
    info = desc["alice"].result(timeout=30)
    assert [(i.mechanism, i.iterations) for i in info.scram_credential_infos] == [(ScramMechanism.SCRAM_SHA_512, 8192)]
    return "alice"


def create_topic(sb, name):
    from confluent_kafka.admin import AdminClient, NewTopic
    conf = ck_conf(sb, "SASLPLAIN")
    conf.update({"sasl.username": "admin", "sasl.password": "admin-secret"})
    admin = AdminClient(conf)  # kept referenced until the futures resolve
    fs = admin.create_topics([NewTopic(name, 1, 1)])
    for f in fs.values():
        f.result(timeout=30)


def test_confluent_scram_sha_512_over_sasl_ssl(sb, scram_user):
    topic = "sec-scram-" + uuid.uuid4().hex[:6]
    create_topic(sb, topic)
    roundtrip(ck_conf(sb, "SASLSSL"), topic)


def test_confluent_wrong_scram_password_fails(sb, scram_user):
    from confluent_kafka.admin import AdminClient
    from confluent_kafka import KafkaException
    admin = AdminClient(ck_conf(sb, "SASLSSL", **{"sasl.password": "wrong"}))
    with pytest.raises(KafkaException) as e:
        admin.list_topics(timeout=10)
    assert "Authentication" in str(e.value) or "authentication" in str(e.value) or "TRANSPORT" in str(e.value)


def test_confluent_mtls(sb):
    topic = "sec-mtls-" + uuid.uuid4().hex[:6]
    create_topic(sb, topic)
    roundtrip(ck_conf(sb, "MTLS"), topic)


def test_mtls_without_a_client_certificate_is_refused(sb):
    from confluent_kafka.admin import AdminClient
    from confluent_kafka import KafkaException
    conf = ck_conf(sb, "MTLS")
    del conf["ssl.certificate.location"], conf["ssl.key.location"]
    admin = AdminClient(conf)
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=8)


def test_kafka_python_plain_and_scram(sb, scram_user):
    import kafka
    topic = "sec-kp-" + uuid.uuid4().hex[:6]
    create_topic(sb, topic)
    common = [
        dict(bootstrap_servers=sb.addr("SASLPLAIN"), security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
             sasl_plain_username="alice", sasl_plain_password="alice-secret"),
        dict(bootstrap_servers=sb.addr("SASLSSL"), security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
             sasl_plain_username="alice", sasl_plain_password="alice-secret", ssl_cafile=os.path.join(sb.certs, "ca.crt")),
    ]
    for i, conf in enumerate(common):
        p = kafka.KafkaProducer(**conf)
        p.send(topic, b"kp-%d" % i).get(timeout=30)
        p.close()
    c = kafka.KafkaConsumer(topic, auto_offset_reset="earliest", consumer_timeout_ms=10000, **common[1])
    values = sorted(m.value for m in c)
    c.close()
    assert values == [b"kp-0", b"kp-1"]


KCAT_SCRAM = ["-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanism=SCRAM-SHA-512", "-X", "sasl.username=alice",
              "-X", "sasl.password=alice-secret"]


@pytest.mark.skipif(KCAT is None, reason="kcat is not installed")
def test_kcat_scram_with_a_repeated_client_nonce_is_refused(sb, scram_user):
    """kcat 1.7.1's bundled librdkafka 2.0.2 repeats its own nonce in the SCRAM final message
    (r=cnonce+cnonce+snonce). Since CVE-2024-56128 Kafka checks that nonce and refuses the login;
    so must Tributary. (confluent-kafka's newer librdkafka logs in: see the tests above.)"""
    version = subprocess.run([KCAT, "-V"], capture_output=True, text=True).stdout
    if "librdkafka 2.0.2" not in version:
        pytest.skip("this kcat's librdkafka is not 2.0.2: %s" % version.strip().splitlines()[-1:])
    res = subprocess.run([KCAT, "-L", "-m", "5", *KCAT_SCRAM, "-X", "ssl.ca.location=%s/ca.crt" % sb.certs,
                          "-b", sb.addr("SASLSSL")], capture_output=True, text=True, timeout=60)
    assert res.returncode != 0
    assert "SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512" in res.stderr


@pytest.mark.skipif(KCAT is None, reason="kcat is not installed")
def test_kcat_metadata_over_plain_and_mtls(sb):
    for args in (["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=PLAIN", "-X", "sasl.username=alice",
                  "-X", "sasl.password=alice-secret", "-b", sb.addr("SASLPLAIN")],
                 ["-X", "security.protocol=SSL", "-X", "ssl.ca.location=%s/ca.crt" % sb.certs,
                  "-X", "ssl.certificate.location=%s/client.crt" % sb.certs, "-X", "ssl.key.location=%s/client.key" % sb.certs,
                  "-b", sb.addr("MTLS")]):
        res = subprocess.run([KCAT, "-L", "-m", "10", *args], capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        assert "1 brokers:" in res.stdout


def test_requests_before_authentication_close_the_connection(sb):
    """Metadata v1 before SaslHandshake: the broker closes the connection without an answer."""
    s = socket.create_connection(("127.0.0.1", sb.ports["SASLPLAIN"]), timeout=10)
    body = struct.pack(">hhih", 3, 1, 7, 4) + b"test" + struct.pack(">i", -1)
    s.sendall(struct.pack(">i", len(body)) + body)
    data = s.recv(100)
    s.close()
    assert data == b""


def test_java_clients_over_each_listener(sb, scram_user):
    """Java kafka-clients 4.3.1 (test/interop/java SecureClient), one JVM for the three listeners,
    configured from the same properties files a Kafka user writes (PEM truststore and keystore)."""
    java = shutil.which("java")
    assert java, "java is not on PATH"
    conftest.require_file(conftest.JAVA_JAR, "run scripts/install-interop.sh java")
    out = conftest.run_client([java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", conftest.JAVA_JAR,
                               "dev.tributary.interop.SecureClient", "sec-java-" + uuid.uuid4().hex[:6],
                               *("%s=%s,%s" % (n, sb.addr(n), sb.props(n)) for n in LISTENERS)], cwd=conftest.ROOT, timeout=150)
    assert [line.split()[1] for line in out.stdout.splitlines() if line.startswith("OK ")] == list(LISTENERS)


@pytest.mark.parametrize("client", ["kafkajs", "platformatic", "tributary"])
def test_node_clients_over_each_listener(sb, scram_user, client):
    """KafkaJS (PLAIN, SCRAM-SHA-512, TLS with a client certificate), @platformatic/kafka and
    Tributary's own client library (dist/src), each over the three listeners."""
    conftest.require_file(os.path.join(conftest.ROOT, "dist", "src", "index.js"), "run npm run build")
    out = conftest.run_client(["node", os.path.join(conftest.HERE, "js", "secure-clients.mjs"), client,
                               "sec-%s-%s" % (client, uuid.uuid4().hex[:6]),
                               json.dumps([sb.node_listener(n) for n in LISTENERS])], cwd=conftest.ROOT, timeout=150)
    assert [line.split()[1] for line in out.stdout.splitlines() if line.startswith("OK ")] == list(LISTENERS)


def tool(name, *args, stdin=None, ok=True):
    res = subprocess.run([os.path.join(conftest.ROOT, "bin", name), *args], cwd=conftest.ROOT, input=stdin,
                         capture_output=True, text=True, timeout=60)
    assert not ok or res.returncode == 0, "%s %s exited %d\nstdout:\n%s\nstderr:\n%s" % (
        name, " ".join(args), res.returncode, res.stdout, res.stderr)
    return res


@pytest.mark.parametrize("listener", LISTENERS)
def test_tributary_tools_over_each_listener(sb, scram_user, listener):
    """Tributary's kafka-topics, console producer and consumer (in a group, which commits) and
    kafka-consumer-groups, with the listener's settings in --command-config, --producer.config and
    --consumer.config."""
    b, props = ["--bootstrap-server", sb.addr(listener)], sb.props(listener)
    topic = "sec-cli-%s-%s" % (listener.lower(), uuid.uuid4().hex[:6])
    group = "g-" + topic
    tool("kafka-topics.sh", *b, "--command-config", props, "--create", "--topic", topic, "--partitions", "2",
         "--replication-factor", "1")
    # Kafka answers CreateTopics before its broker's metadata has the topic: describe until it shows.
    deadline = time.monotonic() + 30
    while True:
        described = tool("kafka-topics.sh", *b, "--command-config", props, "--describe", "--topic", topic, ok=False)
        if described.returncode == 0 or time.monotonic() > deadline:
            break
    assert described.returncode == 0 and "PartitionCount: 2" in described.stdout, described.stdout + described.stderr
    lines = "".join("k%d:v%d\n" % (i, i) for i in range(10))
    tool("kafka-console-producer.sh", *b, "--producer.config", props, "--topic", topic, "--producer-property", "acks=all",
         "--reader-property", "parse.key=true", "--reader-property", "key.separator=:", stdin=lines)
    out = tool("kafka-console-consumer.sh", *b, "--consumer.config", props, "--topic", topic, "--group", group,
               "--from-beginning", "--max-messages", "10")
    assert sorted(out.stdout.split()) == sorted("v%d" % i for i in range(10))
    groups = tool("kafka-consumer-groups.sh", *b, "--command-config", props, "--describe", "--group", group).stdout
    rows = [line.split() for line in groups.splitlines() if line.split()[1:2] == [topic]]
    assert sum(int(r[3]) for r in rows) == 10 and all(r[3] == r[4] for r in rows), groups
