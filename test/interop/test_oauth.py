"""SASL/OAUTHBEARER interop (issue 11): the same listeners on Tributary and Apache Kafka 4.3.1.
  OAUTH      SASL_PLAINTEXT, Kafka's default (unsecured JWS) validator
  OAUTHJWKS  SASL_SSL, Kafka's OAuthBearerValidatorCallbackHandler: RS256 JWTs checked against a
             JWKS file, with expected audience and issuer
  OAUTHHTTPS SASL_PLAINTEXT, the same validator with the JWKS from an HTTPS endpoint this module
             serves (its CA given in the listener's JAAS options; per-listener JWKS URL key)
The JWKS URLs are allowed with -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls (Kafka 4.x), which
Tributary reads from KAFKA_OPTS. Tokens are signed here with the openssl CLI. Clients: Kafka's
console producer and consumer (the unsecured login module, and a signed token from a file through
OAuthBearerLoginCallbackHandler), Kafka's and our kafka-topics with --command-config,
confluent-kafka (librdkafka's unsecured JWT, and oauth_cb with a signed token) and kafka-python
2.0.2 and 3.x (sasl_oauth_token_provider). This module runs its own broker, as test_security.py does."""
import base64
import http.server
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

import conftest
import spec
from secure_broker import NamedListenersBroker, make_certs, roundtrip

KAFKA_LIBS = os.path.join(conftest.ROOT, ".cache", "kafka", os.environ.get("KAFKA_VERSION", "4.3.1"), "libs")
LOGIN_MODULE = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
VALIDATOR = "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler"
LOGIN_HANDLER = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"
ALLOWED_URLS = "org.apache.kafka.sasl.oauthbearer.allowed.urls"
ISSUER = "https://issuer.interop"
KID = "interop-1"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Signer:
    """An RSA key made with openssl; its public JWK; RS256 tokens signed with `openssl dgst`."""

    def __init__(self, d):
        self.key = os.path.join(d, "jwt.key")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", self.key],
                       check=True, capture_output=True)
        modulus = subprocess.run(["openssl", "rsa", "-in", self.key, "-noout", "-modulus"], check=True,
                                 capture_output=True, text=True).stdout.strip().split("=", 1)[1]
        self.jwk = {"kty": "RSA", "kid": KID, "alg": "RS256", "use": "sig", "n": b64url(bytes.fromhex(modulus)), "e": "AQAB"}

    def token(self, sub, lifetime=3600, **claims):
        now = int(time.time())
        body = {"sub": sub, "iat": now, "exp": now + lifetime, "iss": ISSUER, "aud": "kafka", "scope": "kafka"}
        body.update(claims)
        signing_input = "%s.%s" % (b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": KID}).encode()),
                                   b64url(json.dumps(body).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing_input.encode(),
                             check=True, capture_output=True).stdout
        return signing_input + "." + b64url(sig)


class JwksServer:
    """An HTTPS endpoint serving the JWKS (the test CA's server certificate), counting fetches."""

    def __init__(self, certs, jwks_path):
        server = self
        self.fetches = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.fetches += 1
                body = open(jwks_path, "rb").read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(certs, "server.crt"), os.path.join(certs, "server.key"))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.url = "https://127.0.0.1:%d/jwks.json" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class OAuthBroker(NamedListenersBroker):
    LISTENER_PROTOCOLS = (("OAUTH", "SASL_PLAINTEXT"), ("OAUTHJWKS", "SASL_SSL"), ("OAUTHHTTPS", "SASL_PLAINTEXT"))

    def __init__(self, kind, tmp):
        super().__init__(kind, tmp)
        self.certs = os.path.join(tmp, "certs")
        os.makedirs(self.certs)
        make_certs(self.certs)
        self.signer = Signer(tmp)
        self.jwks = os.path.join(tmp, "jwks.json")
        with open(self.jwks, "w") as f:
            json.dump({"keys": [self.signer.jwk]}, f)
        self.jwks_url = "file://" + self.jwks
        self.https = JwksServer(self.certs, self.jwks)

    def java_opts(self):
        return "-D%s=%s,%s" % (ALLOWED_URLS, self.jwks_url, self.https.url)

    def config(self):
        c = self.certs
        return [
            "listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER",
            "listener.name.oauth.oauthbearer.sasl.jaas.config=%s unsecuredLoginStringClaim_sub=\"admin\";" % LOGIN_MODULE,
            "listener.name.oauthjwks.sasl.enabled.mechanisms=OAUTHBEARER",
            "listener.name.oauthjwks.oauthbearer.sasl.jaas.config=%s;" % LOGIN_MODULE,
            "listener.name.oauthjwks.oauthbearer.sasl.server.callback.handler.class=" + VALIDATOR,
            "sasl.oauthbearer.jwks.endpoint.url=" + self.jwks_url,
            "listener.name.oauthhttps.sasl.enabled.mechanisms=OAUTHBEARER",
            # Kafka's broker also runs the login module of each listener: with options it must make
            # a (never used) token, so the unsecured principal claim is needed beside the ssl.* ones.
            "listener.name.oauthhttps.oauthbearer.sasl.jaas.config=%s unsecuredLoginStringClaim_sub=\"admin\" "
            "ssl.truststore.type=\"PEM\" ssl.truststore.location=\"%s/ca.crt\";" % (LOGIN_MODULE, c),
            "listener.name.oauthhttps.oauthbearer.sasl.server.callback.handler.class=" + VALIDATOR,
            "listener.name.oauthhttps.sasl.oauthbearer.jwks.endpoint.url=" + self.https.url,
            "sasl.oauthbearer.expected.audience=kafka",
            "sasl.oauthbearer.expected.issuer=" + ISSUER,
            "ssl.keystore.type=PEM",
            "ssl.keystore.location=%s/server.pem" % c,
            "ssl.truststore.type=PEM",
            "ssl.truststore.location=%s/ca.crt" % c,
        ]

    def stop(self):
        self.https.close()
        super().stop()

    def properties(self, name, listener, lines):
        """A client properties file for `listener` (SASL_PLAINTEXT or SASL_SSL with the test CA)."""
        path = os.path.join(self.tmp, name)
        props = ["sasl.mechanism=OAUTHBEARER"]
        if listener == "OAUTH":
            props.append("security.protocol=SASL_PLAINTEXT")
        else:
            props += ["security.protocol=SASL_SSL", "ssl.truststore.type=PEM", "ssl.truststore.location=%s/ca.crt" % self.certs]
        with open(path, "w") as f:
            f.write("\n".join(props + lines) + "\n")
        return path


@pytest.fixture(scope="module")
def ob():
    if conftest.EXTERNAL_BROKER:
        pytest.skip("KAFKA_BOOTSTRAP names an outside broker; the OAuth tests configure their own")
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is not installed")
    kind = conftest.broker_kind()
    tmp = tempfile.mkdtemp(prefix="interop-oauth-%s-" % kind)
    b = OAuthBroker(kind, tmp)
    try:
        b.start()
        yield b
    finally:
        b.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def create_topic(ob, name):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": ob.addr("PLAINTEXT")})
    for f in admin.create_topics([NewTopic(name, 1, 1)]).values():
        f.result(timeout=30)


def java_tool(main_class, args, stdin=None, jvm=(), timeout=120):
    if not os.path.isdir(KAFKA_LIBS):
        pytest.skip("Apache Kafka's jars are not cached (scripts/install-interop.sh kafka)")
    cmd = ["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dlog4j2.rootLogger.level=ERROR", *jvm,
           "-cp", os.path.join(KAFKA_LIBS, "*"), main_class, *args]
    return subprocess.run(cmd, cwd=conftest.ROOT, capture_output=True, text=True, input=stdin, timeout=timeout)


def java_roundtrip(ob, listener, props, jvm=()):
    topic = "oauth-java-" + uuid.uuid4().hex[:6]
    create_topic(ob, topic)
    values = ["v%d-%s" % (i, topic) for i in range(3)]
    res = java_tool("org.apache.kafka.tools.ConsoleProducer",
                    ["--bootstrap-server", ob.addr(listener), "--topic", topic, "--command-config", props],
                    stdin="\n".join(values) + "\n", jvm=jvm)
    assert res.returncode == 0, res.stdout + res.stderr
    res = java_tool("org.apache.kafka.tools.consumer.ConsoleConsumer",
                    ["--bootstrap-server", ob.addr(listener), "--topic", topic, "--from-beginning", "--max-messages", "3",
                     "--timeout-ms", "30000", "--command-config", props], jvm=jvm)
    assert res.returncode == 0, res.stdout + res.stderr
    assert [l for l in res.stdout.splitlines() if l.startswith("v")] == values, res.stdout + res.stderr


def test_java_console_tools_with_the_unsecured_login_module(ob):
    props = ob.properties("unsecured.properties", "OAUTH",
                          ['sasl.jaas.config=%s unsecuredLoginStringClaim_sub="alice";' % LOGIN_MODULE])
    java_roundtrip(ob, "OAUTH", props)


def test_java_console_tools_with_a_signed_token_from_a_file(ob):
    token_file = os.path.join(ob.tmp, "alice.jwt")
    with open(token_file, "w") as f:
        f.write(ob.signer.token("alice"))
    token_url = "file://" + token_file
    props = ob.properties("signed.properties", "OAUTHJWKS", [
        "sasl.jaas.config=%s;" % LOGIN_MODULE,
        "sasl.login.callback.handler.class=" + LOGIN_HANDLER,
        "sasl.oauthbearer.token.endpoint.url=" + token_url,
    ])
    java_roundtrip(ob, "OAUTHJWKS", props, jvm=["-D%s=%s" % (ALLOWED_URLS, token_url)])


def test_topics_tools_with_command_config(ob):
    """kafka-topics --command-config with the unsecured login module: Kafka's TopicCommand and ours."""
    props = ob.properties("topics.properties", "OAUTH",
                          ['sasl.jaas.config=%s unsecuredLoginStringClaim_sub="alice";' % LOGIN_MODULE])
    ours = "oauth-ours-" + uuid.uuid4().hex[:6]
    theirs = "oauth-java-" + uuid.uuid4().hex[:6]
    res = subprocess.run([os.path.join(conftest.ROOT, "bin", "kafka-topics.sh"), "--bootstrap-server", ob.addr("OAUTH"),
                          "--command-config", props, "--create", "--topic", ours, "--partitions", "1"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stdout + res.stderr
    res = java_tool("org.apache.kafka.tools.TopicCommand", ["--bootstrap-server", ob.addr("OAUTH"), "--command-config", props,
                                                            "--create", "--topic", theirs, "--partitions", "1"])
    assert res.returncode == 0, res.stdout + res.stderr
    for cmd in ([os.path.join(conftest.ROOT, "bin", "kafka-topics.sh")], None):
        args = ["--bootstrap-server", ob.addr("OAUTH"), "--command-config", props, "--list"]
        res = (subprocess.run(cmd + args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
               if cmd else java_tool("org.apache.kafka.tools.TopicCommand", args))
        assert res.returncode == 0, res.stdout + res.stderr
        assert ours in res.stdout.split() and theirs in res.stdout.split(), res.stdout


def ck_jwks_conf(ob, token_fn):
    return {"bootstrap.servers": ob.addr("OAUTHJWKS"), "security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER",
            "ssl.ca.location": os.path.join(ob.certs, "ca.crt"), "oauth_cb": token_fn}


def test_confluent_unsecured_jwt(ob):
    topic = "oauth-ck-" + uuid.uuid4().hex[:6]
    create_topic(ob, topic)
    roundtrip({"bootstrap.servers": ob.addr("OAUTH"), "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
                  "enable.sasl.oauthbearer.unsecure.jwt": True, "sasl.oauthbearer.config": "principal=alice scope=kafka"}, topic)


def test_confluent_signed_token_from_oauth_cb(ob):
    topic = "oauth-ck-jwks-" + uuid.uuid4().hex[:6]
    create_topic(ob, topic)

    def token(_config):
        return ob.signer.token("svc-orders"), time.time() + 3600

    roundtrip(ck_jwks_conf(ob, token), topic)


@pytest.mark.parametrize("why,claims", [("expired", {"lifetime": -120}), ("wrong audience", {"aud": "billing"}),
                                        ("wrong issuer", {"iss": "https://evil.interop"})])
def test_confluent_refused_tokens_get_invalid_token(ob, why, claims):
    """The broker answers Kafka's RFC 7628 JSON error, which librdkafka reports."""
    from confluent_kafka import Producer
    errors = []

    def token(_config):
        return ob.signer.token("svc-orders", **claims), time.time() + 3600

    conf = ck_jwks_conf(ob, token)
    conf.update({"error_cb": lambda e: errors.append(str(e)), "log_level": 0})
    p = Producer(conf)
    end = time.monotonic() + 20
    while not any("invalid_token" in e for e in errors) and time.monotonic() < end:
        p.poll(0.2)
    assert any('{"status":"invalid_token"}' in e for e in errors), (why, errors)


def test_confluent_signed_token_against_an_https_jwks(ob):
    topic = "oauth-ck-https-" + uuid.uuid4().hex[:6]
    create_topic(ob, topic)
    assert ob.https.fetches >= 1, "the broker fetched the JWKS at startup"

    def token(_config):
        return ob.signer.token("svc-https"), time.time() + 3600

    roundtrip({"bootstrap.servers": ob.addr("OAUTHHTTPS"), "security.protocol": "SASL_PLAINTEXT",
                  "sasl.mechanism": "OAUTHBEARER", "oauth_cb": token}, topic)


def test_kafka_python_token_provider(ob):
    import kafka
    from kafka.oauth.abstract import AbstractTokenProvider

    class Signed(AbstractTokenProvider):
        def token(self):
            return ob.signer.token("svc-py")

    class Unsecured(AbstractTokenProvider):
        def token(self):
            # Whole seconds: a fractional iat a fraction of a millisecond ahead of the broker's clock
            # is "after the indicated time" on both brokers (no clock skew is allowed by default).
            now = int(time.time())
            return "%s.%s." % (b64url(b'{"alg":"none"}'), b64url(json.dumps({"sub": "py", "iat": now, "exp": now + 600}).encode()))

    topic = "oauth-kp-" + uuid.uuid4().hex[:6]
    create_topic(ob, topic)
    confs = [
        dict(bootstrap_servers=ob.addr("OAUTH"), security_protocol="SASL_PLAINTEXT", sasl_mechanism="OAUTHBEARER",
             sasl_oauth_token_provider=Unsecured()),
        dict(bootstrap_servers=ob.addr("OAUTHJWKS"), security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER",
             sasl_oauth_token_provider=Signed(), ssl_cafile=os.path.join(ob.certs, "ca.crt")),
    ]
    for i, conf in enumerate(confs):
        p = kafka.KafkaProducer(**conf)
        p.send(topic, b"kp-%d" % i).get(timeout=30)
        p.close()
    c = kafka.KafkaConsumer(topic, auto_offset_reset="earliest", consumer_timeout_ms=10000, **confs[1])
    values = sorted(m.value for m in c)
    c.close()
    assert values == [b"kp-0", b"kp-1"]


def test_kafka_python_3_token_provider(ob):
    """kafka-python 3.x (SaslAuthenticate framing, unlike 2.0.2's unframed exchange) with a signed token."""
    conftest.require_file(conftest.VENV_KP3, "run scripts/install-interop.sh python")
    topic = "oauth-kp3-" + uuid.uuid4().hex[:6]
    create_topic(ob, topic)
    conftest.run_client([conftest.VENV_KP3, os.path.join(conftest.HERE, "kafka_python_oauth_client.py"), ob.addr("OAUTHJWKS"),
                         "SASL_SSL", os.path.join(ob.certs, "ca.crt"), topic, ob.signer.token("svc-kp3")])
