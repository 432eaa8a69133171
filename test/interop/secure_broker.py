"""The security interop tests' brokers. NamedListenersBroker starts Tributary or Apache Kafka with
named listeners and the same configuration lines (test_oauth.py's broker builds on it);
SecureBroker is test_security.py's: the same listener configuration on
Tributary and Apache Kafka, with certificates made by the openssl CLI in the broker's temp dir:
  SASLPLAIN  SASL_PLAINTEXT with PLAIN (JAAS users admin and alice)
  SASLSSL    SASL_SSL with SCRAM-SHA-512 (alice, created with AlterUserScramCredentials)
  MTLS       SSL with ssl.client.auth=required (the client certificate's CN is alice)
and each listener's client settings as a Kafka user writes them (client-<listener>.properties,
for the Java clients and the tools' --command-config / --producer.config / --consumer.config)."""
import os
import subprocess
import time

import pytest

import conftest
import spec

LISTENERS = ("SASLPLAIN", "SASLSSL", "MTLS")
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


def roundtrip(conf, topic, value=b"secret-value"):
    """confluent-kafka with these client settings: produces `value` with acks=all and reads it back
    in a group (the secure listeners' smallest end-to-end check)."""
    from confluent_kafka import Producer, Consumer
    p = Producer(dict(conf, **{"acks": "all"}))
    p.produce(topic, key=b"k", value=value)
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
    assert got == value


class NamedListenersBroker:
    """A broker on Tributary or Apache Kafka 4.3.1 (scripts/kafka-ref.sh) with a PLAINTEXT listener
    and the named listeners of `LISTENER_PROTOCOLS` ((name, security protocol), ...), each on a free
    port, configured with the same `config()` lines on both; `java_opts()` are -D system properties
    (KAFKA_OPTS for Tributary, the JVM's options for Kafka). Subclasses add what their tests need."""
    LISTENER_PROTOCOLS = ()

    def __init__(self, kind, tmp):
        self.kind, self.tmp = kind, tmp
        self.ports = {n: conftest._free_port() for n in ("PLAINTEXT", *(n for n, _ in self.LISTENER_PROTOCOLS))}
        self.proc = None

    def addr(self, name):
        return "127.0.0.1:%d" % self.ports[name]

    def config(self):
        return []

    def java_opts(self):
        return ""

    def start(self):
        extra = "".join(",%s://127.0.0.1:%d" % (n, self.ports[n]) for n, _ in self.LISTENER_PROTOCOLS)
        protocols = "".join(",%s:%s" % np for np in self.LISTENER_PROTOCOLS)
        opts = self.java_opts()
        if self.kind == "kafka":
            env = dict(os.environ, KAFKA_REF_EXTRA_LISTENERS=extra, KAFKA_REF_EXTRA_PROTOCOLS=protocols)
            if opts:
                env["KAFKA_REF_JAVA_OPTS"] = opts
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
        env = dict(os.environ, KAFKA_OPTS=opts) if opts else None
        log = open(os.path.join(self.tmp, "broker.log"), "ab")
        self.proc = subprocess.Popen(cmd, cwd=conftest.ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env)
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


class SecureBroker(NamedListenersBroker):
    LISTENER_PROTOCOLS = (("SASLPLAIN", "SASL_PLAINTEXT"), ("SASLSSL", "SASL_SSL"), ("MTLS", "SSL"))

    def __init__(self, kind, tmp):
        super().__init__(kind, tmp)
        self.certs = os.path.join(tmp, "certs")
        os.makedirs(self.certs)
        make_certs(self.certs)
        with open(os.path.join(self.certs, "client.pem"), "w") as f:
            f.write(open(os.path.join(self.certs, "client.key")).read() + open(os.path.join(self.certs, "client.crt")).read())
        for name in LISTENERS:
            with open(self.props(name), "w") as f:
                f.write("".join("%s=%s\n" % kv for kv in self.client_settings(name).items()))

    def props(self, name):
        """The properties file of alice's client settings for listener `name`."""
        return os.path.join(self.certs, "client-%s.properties" % name.lower())

    def client_settings(self, name, user="alice", password="alice-secret"):
        """Listener `name`'s client settings, Kafka's keys: PEM truststore and keystore (Java 17 reads
        ssl.truststore.type=PEM), JAAS logins as a Kafka user writes them."""
        c = self.certs
        tls = {"ssl.truststore.type": "PEM", "ssl.truststore.location": "%s/ca.crt" % c}
        if name == "SASLPLAIN":
            return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
                    "sasl.jaas.config": 'org.apache.kafka.common.security.plain.PlainLoginModule required '
                                        'username="%s" password="%s";' % (user, password)}
        if name == "SASLSSL":
            return dict(tls, **{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
                                "sasl.jaas.config": 'org.apache.kafka.common.security.scram.ScramLoginModule required '
                                                    'username="%s" password="%s";' % (user, password)})
        return dict(tls, **{"security.protocol": "SSL", "ssl.keystore.type": "PEM", "ssl.keystore.location": "%s/client.pem" % c})

    def node_listener(self, name):
        """Listener `name` as js/secure-clients.mjs takes it."""
        settings = self.client_settings(name)
        out = {"name": name, "bootstrap": self.addr(name), "protocol": settings["security.protocol"]}
        if "sasl.mechanism" in settings:
            out.update(mechanism=settings["sasl.mechanism"], username="alice", password="alice-secret")
        if "ssl.truststore.location" in settings:
            out["ca"] = settings["ssl.truststore.location"]
        if name == "MTLS":
            out.update(cert=os.path.join(self.certs, "client.crt"), key=os.path.join(self.certs, "client.key"))
        return out

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
