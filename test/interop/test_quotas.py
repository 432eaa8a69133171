"""Client quotas, against the broker under test and against Apache Kafka 4.3.1, on a broker of the
kind under test started with quota.window.num=2 and quota.window.size.seconds=1 (so that past the
first second a throttled client's rate is the quota; the default 11 windows allow a 10 s burst):

- kafka-configs parity: the same --alter / --describe commands for client quotas (users, clients,
  both, defaults) through Kafka's own ConfigCommand and through ours (bin/kafka-configs.sh) against
  the same broker print the same lines, and what one tool sets the other describes;
- throttling: producer_byte_rate=1 MB/s set on a client id by our tool and on another by Kafka's;
  a confluent-kafka (librdkafka) producer with each client id, producing as fast as it can, is held
  to 1 MB/s within 10% (bytes acknowledged from 3 s to 13 s), while one with an unlimited client id
  beside them goes well above it.
"""
import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from cluster import kafka_tool
from conftest import EXTERNAL_BROKER, ROOT, Broker, broker_kind

T = 30
QUOTA_WINDOWS = ("quota.window.num=2", "quota.window.size.seconds=1")
MB = 1024 * 1024


@pytest.fixture(scope="module")
def quota_broker():
    if EXTERNAL_BROKER:
        pytest.skip("KAFKA_BOOTSTRAP names an outside broker; this test starts its own with short quota windows")
    tmp = tempfile.mkdtemp(prefix="interop-quotas-%s-" % broker_kind())
    broker = Broker(broker_kind(), tmp, extra=QUOTA_WINDOWS).start()
    try:
        yield broker.addr
    finally:
        broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def ours(*args):
    res = subprocess.run([os.path.join(ROOT, "bin", "kafka-configs.sh"), *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, stdin=subprocess.DEVNULL)
    return res.returncode, res.stdout, res.stderr


def kafkas(*args):
    res = kafka_tool("kafka.admin.ConfigCommand", *args)
    if res is None:
        pytest.skip("Apache Kafka's jars are not in .cache/kafka (scripts/fetch-kafka.sh)")
    return res.returncode, res.stdout, res.stderr


def both(b, *args):
    """Runs the command through both tools; their exit codes and stdout must be the same."""
    k, o = kafkas(*b, *args), ours(*b, *args)
    assert (k[0], k[1]) == (o[0], o[1]), (args, k, o)
    return o


def test_kafka_configs_quota_parity(quota_broker):
    b = ["--bootstrap-server", quota_broker]
    for tool, who in ((kafkas, "k"), (ours, "o")):
        code, out, err = tool(*b, "--alter", "--entity-type", "users", "--entity-name", "alice-" + who,
                              "--add-config", "producer_byte_rate=1024,consumer_byte_rate=2048,request_percentage=12.5")
        assert (code, out) == (0, "Completed updating config for user alice-%s.\n" % who), err
        code, out, err = tool(*b, "--alter", "--entity-type", "users", "--entity-name", "alice-" + who,
                              "--entity-type", "clients", "--entity-name", "app", "--add-config", "producer_byte_rate=1048576")
        assert (code, out) == (0, "Completed updating config for user alice-%s.\n" % who), err
        code, out, err = tool(*b, "--alter", "--entity-type", "clients", "--entity-name", "c-" + who,
                              "--add-config", "consumer_byte_rate=10485760")
        assert (code, out) == (0, "Completed updating config for client c-%s.\n" % who), err
    code, out, _ = both(b, "--alter", "--entity-type", "clients", "--entity-default", "--add-config", "request_percentage=300")
    assert out == "Completed updating default config for clients in the cluster.\n"
    both(b, "--alter", "--entity-type", "users", "--entity-default", "--entity-type", "clients", "--entity-default",
         "--add-config", "producer_byte_rate=5000")

    # What one tool set, both describe alike.
    _, out, _ = both(b, "--describe", "--entity-type", "users")
    # (keys in the order Kafka's HashMaps give them)
    assert "Quota configs for user-principal 'alice-k' are consumer_byte_rate=2048.0, request_percentage=12.5, producer_byte_rate=1024.0\n" in out
    assert "Quota configs for user-principal 'alice-o' are consumer_byte_rate=2048.0, request_percentage=12.5, producer_byte_rate=1024.0\n" in out
    _, out, _ = both(b, "--describe", "--entity-type", "clients")
    assert "Quota configs for client-id 'c-o' are consumer_byte_rate=1.048576E7\n" in out
    assert "Quota configs for the default client-id are request_percentage=300.0\n" in out
    both(b, "--describe", "--entity-type", "users", "--entity-type", "clients")
    both(b, "--describe", "--entity-type", "users", "--entity-name", "alice-o", "--entity-type", "clients")
    _, out, _ = both(b, "--describe", "--entity-type", "users", "--entity-default", "--entity-type", "clients", "--entity-default")
    assert out == "Quota configs for the default user-principal, the default client-id are producer_byte_rate=5000.0\n"
    both(b, "--describe", "--entity-type", "clients", "--entity-name", "nobody")

    # Refusals (stderr differs: Kafka's tool prints a stack trace for broker errors).
    for args in (("--alter", "--entity-type", "clients", "--entity-name", "c-o", "--delete-config", "producer_byte_rate"),
                 ("--alter", "--entity-type", "clients", "--entity-name", "c-o", "--add-config", "foo=1"),
                 ("--alter", "--entity-type", "users", "--entity-name", "alice-o", "--add-config", "producer_byte_rate=1.5")):
        k, o = kafkas(*b, *args), ours(*b, *args)
        assert k[0] == o[0] == 1, (args, k, o)
    # Deletion through one tool, seen by the other.
    for tool, who in ((kafkas, "o"), (ours, "k")):
        code, _, err = tool(*b, "--alter", "--entity-type", "clients", "--entity-name", "c-" + who, "--delete-config", "consumer_byte_rate")
        assert code == 0, err
    _, out, _ = both(b, "--describe", "--entity-type", "clients")
    assert "c-o" not in out and "c-k" not in out
    # The defaults go again (they would apply to the next test's clients: users/<default>/clients/<default>
    # comes before /config/clients/<client-id> in Kafka's order).
    code, _, err = kafkas(*b, "--alter", "--entity-type", "users", "--entity-default", "--entity-type", "clients",
                          "--entity-default", "--delete-config", "producer_byte_rate")
    assert code == 0, err
    code, _, err = ours(*b, "--alter", "--client-defaults", "--delete-config", "request_percentage")
    assert code == 0, err
    assert both(b, "--describe", "--entity-type", "users", "--entity-default", "--entity-type", "clients", "--entity-default")[1] == ""


def produce_for(bootstrap, client_id, topic, seconds, value_size, out):
    """Produces as fast as the producer may for `seconds`; appends (ack time, bytes) per delivered record.
    Requests of up to 32 KB (batch.size), so that one request is a small part of a second's quota."""
    p = Producer({"bootstrap.servers": bootstrap, "client.id": client_id, "linger.ms": 5, "acks": 1,
                  "queue.buffering.max.kbytes": 2048, "socket.timeout.ms": 15000,
                  "batch.size": 32768})
    value = b"q" * value_size

    def delivered(err, msg):
        if err is None:
            out.append((time.monotonic(), len(msg.value())))

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            p.produce(topic, value, on_delivery=delivered)
        except BufferError:
            p.poll(0.005)
        p.poll(0)
    p.flush(30)


def rate(acks, start, frm, to):
    return sum(n for t, n in acks if start + frm <= t < start + to) / (to - frm)


def test_producer_held_to_producer_byte_rate(quota_broker):
    b = ["--bootstrap-server", quota_broker]
    admin = AdminClient({"bootstrap.servers": quota_broker})
    fs = admin.create_topics([NewTopic(t, 1, 1) for t in ("quota-a", "quota-b", "quota-free")])
    for f in fs.values():
        f.result(T)
    # One quota set with our tool, one with Kafka's.
    code, _, err = ours(*b, "--alter", "--entity-type", "clients", "--entity-name", "limited-by-ours",
                        "--add-config", "producer_byte_rate=%d" % MB)
    assert code == 0, err
    code, _, err = kafkas(*b, "--alter", "--entity-type", "clients", "--entity-name", "limited-by-kafkas",
                          "--add-config", "producer_byte_rate=%d" % MB)
    assert code == 0, err

    runs = {"limited-by-ours": ("quota-a", []), "limited-by-kafkas": ("quota-b", []), "free": ("quota-free", [])}
    start = time.monotonic()
    threads = []
    for cid, (topic, acks) in runs.items():
        secs = 14 if cid != "free" else 3
        threads.append(threading.Thread(target=produce_for, args=(quota_broker, cid, topic, secs, 10_000, acks)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    rates = {cid: rate(runs[cid][1], start, 3, 13) / MB for cid in ("limited-by-ours", "limited-by-kafkas")}
    print("rates (x 1 MB/s):", rates)
    for cid, r in rates.items():
        assert abs(r - 1) <= 0.10, "%s: %.3f x 1 MB/s" % (cid, r)
    free = rate(runs["free"][1], start, 1, 3)
    assert free > 3 * MB, "the unlimited producer ran at %.2f MB/s" % (free / MB)
