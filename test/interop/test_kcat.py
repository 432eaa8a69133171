"""kcat (librdkafka, from apt) as a command-line client: produce keyed records with headers per
codec from stdin, consume them back as JSON from the beginning, from an offset and from a
timestamp, query offsets (-Q: earliest, latest, by timestamp) and list metadata (-L).
kcat has no admin commands, so confluent-kafka's AdminClient creates the topic."""
import json
import shutil
import subprocess

import pytest

import spec
from test_confluent_kafka import create_topic

KCAT = shutil.which("kcat") or shutil.which("kafkacat")


def kcat(bootstrap, *args, stdin=None, timeout=60):
    if not KCAT:
        pytest.fail("kcat is not installed: run scripts/install-interop.sh kcat")
    cmd = [KCAT, "-b", bootstrap, "-m", "15", "-X", "socket.timeout.ms=15000", *args]
    try:
        res = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail("%s timed out after %ds: %s" % (" ".join(cmd), timeout, e.stderr))
    assert res.returncode == 0, "%s exited %d: %s" % (" ".join(cmd), res.returncode, res.stderr.decode(errors="replace"))
    return res.stdout.decode()


def consume_json(bootstrap, topic, offset):
    out = kcat(bootstrap, "-C", "-t", topic, "-p", "0", "-o", str(offset), "-e", "-J", "-q")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def query(bootstrap, topic, ts):
    out = kcat(bootstrap, "-Q", "-J", "-t", "%s:0:%d" % (topic, ts))
    return json.loads(out)[topic]["0"]["offset"]


def as_tuples(records):
    return [(r["offset"], r["key"], r["payload"], r["headers"]) for r in records]


@pytest.mark.parametrize("codec", spec.CODECS)
def test_produce_consume_query(bootstrap, codec):
    topic = spec.topic_name("kcat", codec)
    create_topic(bootstrap, topic)
    # one run, one line per record: key|value; kcat's -H headers go on every record it sends
    lines = "".join("%s|%s\n" % (spec.key(i).decode(), spec.value(codec, i).decode()) for i in range(spec.COUNT))
    kcat(bootstrap, "-P", "-t", topic, "-p", "0", "-K", "|", "-X", "compression.codec=%s" % codec,
         "-X", "linger.ms=50", "-H", "h-codec=%s" % codec, "-H", "h-client=kcat", stdin=lines.encode())

    want = [(i, spec.key(i).decode(), spec.value(codec, i).decode(), ["h-codec", codec, "h-client", "kcat"])
            for i in range(spec.COUNT)]
    got = consume_json(bootstrap, topic, "beginning")
    assert as_tuples(got) == want
    assert {(r["topic"], r["partition"], r["tstype"]) for r in got} == {(topic, 0, "create")}
    assert as_tuples(consume_json(bootstrap, topic, spec.FROM)) == want[spec.FROM:]

    # kcat cannot set a record's timestamp: query with the timestamps the records got
    stamps = [r["ts"] for r in got]
    assert stamps == sorted(stamps)
    first_at = lambda ts: next(i for i, t in enumerate(stamps) if t >= ts)  # noqa: E731
    assert query(bootstrap, topic, -2) == 0
    assert query(bootstrap, topic, -1) == spec.COUNT
    assert query(bootstrap, topic, stamps[3]) == first_at(stamps[3])
    assert query(bootstrap, topic, stamps[-1] + 1) == -1  # past the last timestamp: no offset
    from_ts = consume_json(bootstrap, topic, "s@%d" % stamps[3])
    assert as_tuples(from_ts) == want[first_at(stamps[3]):]

    md = json.loads(kcat(bootstrap, "-L", "-J", "-t", topic))
    [t] = md["topics"]
    assert t["topic"] == topic and [p["partition"] for p in t["partitions"]] == [0]
    assert t["partitions"][0]["leader"] in [b["id"] for b in md["brokers"]]
