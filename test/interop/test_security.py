"""Security interop (issue 11): the same listener configuration on Tributary and Apache Kafka,
reached by confluent-kafka (librdkafka), kcat and kafka-python 2.0.2:
  SASLPLAIN  SASL_PLAINTEXT with PLAIN (JAAS users admin and alice)
  SASLSSL    SASL_SSL with SCRAM-SHA-512 (alice, created with AlterUserScramCredentials)
  MTLS       SSL with ssl.client.auth=required
Certificates are made with the openssl CLI in the broker's temp dir. The broker is this module's
own (its listeners differ from the shared fixture's)."""
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
import spec

KCAT = shutil.which("kcat") or shutil.which("kafkacat")
PLAIN_JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
              'password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";')


def _openssl(cwd, *args):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certs(d):
    _openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-subj", "/CN=Interop CA", "-days", "2")
    for name, subj, san in (("server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                            ("client", "/O=Interop/CN=alice", "basicConstraints=CA:FALSE")):
        _openssl(d, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", subj)
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(san + "\n")
        _openssl(d, "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext")
    with open(os.path.join(d, "server.pem"), "w") as f:
        f.write(open(os.path.join(d, "server.key")).read() + open(os.path.join(d, "server.crt")).read())


class SecureBroker:
    def __init__(self, kind, tmp):
        self.kind, self.tmp = kind, tmp
        self.certs = os.path.join(tmp, "certs")
        os.makedirs(self.certs)
        make_certs(self.certs)
        self.ports = {n: conftest._free_port() for n in ("PLAINTEXT", "SASLPLAIN", "SASLSSL", "MTLS")}
        self.proc = None

    def addr(self, name):
        return "127.0.0.1:%d" % self.ports[name]

    def config(self):
        c = self.certs
        return [
            "listener.name.saslplain.sasl.enabled.mechanisms=PLAIN",
            "listener.name.saslplain.plain.sasl.jaas.config=" + PLAIN_JAAS,
            "listener.name.saslssl.sasl.enabled.mechanisms=SCRAM-SHA-512",
            "listener.name.saslssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
            "ssl.keystore.type=PEM",
            "ssl.keystore.location=%s/server.pem" % c,
            "ssl.truststore.type=PEM",
            "ssl.truststore.location=%s/ca.crt" % c,
            "listener.name.mtls.ssl.client.auth=required",
            "ssl.principal.mapping.rules=RULE:^CN=([^,]*),.*$/$1/,DEFAULT",
        ]

    def start(self):
        extra = "".join(",%s://127.0.0.1:%d" % (n, self.ports[n]) for n in ("SASLPLAIN", "SASLSSL", "MTLS"))
        protocols = ",SASLPLAIN:SASL_PLAINTEXT,SASLSSL:SASL_SSL,MTLS:SSL"
        if self.kind == "kafka":
            env = dict(os.environ, KAFKA_REF_EXTRA_LISTENERS=extra, KAFKA_REF_EXTRA_PROTOCOLS=protocols)
            res = subprocess.run([conftest.KAFKA_REF, "start", self.tmp, str(self.ports["PLAINTEXT"]), *self.config()],
                                 cwd=conftest.ROOT, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                                 timeout=300)
            if res.returncode != 0:
                pytest.fail("Apache Kafka did not start: %s" % res.stderr)
            return self
        listeners = "PLAINTEXT://127.0.0.1:%d%s" % (self.ports["PLAINTEXT"], extra)
        cmd = ["node", conftest.TRIBUTARY_CLI, "server-start", os.path.join(conftest.ROOT, "config", "server.properties"),
               "--override", "listeners=" + listeners, "--override", "advertised.listeners=" + listeners,
               "--override", "listener.security.protocol.map=PLAINTEXT:PLAINTEXT" + protocols,
               "--override", "log.dirs=" + os.path.join(self.tmp, "data")]
        for kv in self.config():
            cmd += ["--override", kv]
        log = open(os.path.join(self.tmp, "broker.log"), "ab")
        self.proc = subprocess.Popen(cmd, cwd=conftest.ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        for n in self.ports:
            if not spec.wait_for_port(self.addr(n), 60, alive=lambda: self.proc.poll() is None):
                self.proc.kill()
                pytest.fail("Tributary did not listen on %s:\n%s" % (n, conftest._tail(os.path.join(self.tmp, "broker.log"))))
        return self

    def stop(self):
        if self.kind == "kafka":
            subprocess.run([conftest.KAFKA_REF, "stop", self.tmp], cwd=conftest.ROOT, timeout=60, stdin=subprocess.DEVNULL)
        elif self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


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


def roundtrip(conf, topic):
    from confluent_kafka import Producer, Consumer
    p = Producer(dict(conf, **{"acks": "all"}))
    p.produce(topic, key=b"k", value=b"secret-value")
    assert p.flush(30) == 0
    c = Consumer(dict(conf, **{"group.id": "g-" + topic, "auto.offset.reset": "earliest"}))
    c.subscribe([topic])
    got = None
    end = time.monotonic() + 30
    while got is None and time.monotonic() < end:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got = m.value()
    c.close()
    assert got == b"secret-value"


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
