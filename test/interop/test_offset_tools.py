"""bin/kafka-get-offsets.sh, bin/kafka-log-dirs.sh and bin/kafka-delete-records.sh against Apache
Kafka 4.3.1's own tool classes (GetOffsetShell, LogDirsCommand, DeleteRecordsCommand, run with
java -cp .cache/kafka/4.3.1/libs/*), on the broker under test (Tributary, or Kafka with
INTEROP_BROKER=kafka): the same stdout, stderr and exit code for each set of flags. Two things
are set aside, both printed by Kafka's tool alone: the admin client's log lines (timestamped
ERROR lines it logs for a partition's error) and Java stack traces after an error's first line.
DeleteRecordsCommand prints its partitions in no fixed order (an immutable map's): its lines
after the header are compared as sets.
"""
import json
import os
import re
import subprocess
import tempfile

import spec
from conftest import ROOT

BIN = os.path.join(ROOT, "bin")
LIBS = os.path.join(ROOT, ".cache", "kafka", "4.3.1", "libs")
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \[")


def run(cmd, stdin=None):
    res = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)
    return res


def ours(name, *args):
    res = run([os.path.join(BIN, name), *args])
    return res.returncode, res.stdout, res.stderr


def kafkas(cls, *args):
    res = run(["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dlog4j2.rootLogger.level=ERROR", "-cp", LIBS + "/*",
               "org.apache.kafka.tools." + cls, *args])
    out = "".join(l for l in res.stdout.splitlines(True) if not LOG_LINE.match(l))
    err = res.stderr.splitlines(True)
    # A Java stack trace follows the error's first line: keep the lines before it.
    for i, line in enumerate(err):
        if line.startswith("\tat ") or re.match(r"^[\w.$]+(Exception|Error)(: |$)", line):
            err = err[:i]
            break
    return res.returncode, out, "".join(l for l in err if not LOG_LINE.match(l))


def same(name, cls, *args):
    mine = ours(name, *args)
    theirs = kafkas(cls, *args)
    assert mine == theirs, "%s %s\nours:   %r\nKafka's: %r" % (name, " ".join(args), mine, theirs)
    return mine


def create(bootstrap, topic, partitions):
    res = run([os.path.join(BIN, "kafka-topics.sh"), "--bootstrap-server", bootstrap, "--create", "--topic", topic,
               "--partitions", str(partitions), "--replication-factor", "1"])
    assert res.returncode == 0, res.stdout + res.stderr


def test_get_offsets_same_as_kafka(bootstrap):
    b = ["--bootstrap-server", bootstrap]
    topic = spec.topic_name("offsets")
    other = spec.topic_name("offsets-b")
    create(bootstrap, topic, 12)
    create(bootstrap, other, 2)
    for t, body in ((topic, "a\nb\nc\nd\ne\n"), (other, "x\ny\n")):
        res = run([os.path.join(BIN, "kafka-console-producer.sh"), *b, "--topic", t], stdin=body)
        assert res.returncode == 0, res.stderr
    both = "%s|%s" % (topic, other)
    for flags in ([], ["--time", "-2"], ["--time", "earliest"], ["--time", "-3"], ["--time", "max-timestamp"],
                  ["--time", "0"], ["--time", "99999999999999"], ["--time", "-4"], ["--time", "xx"],
                  ["--partitions", "1,2,11"], ["--partitions", "x"]):
        same("kafka-get-offsets.sh", "GetOffsetShell", *b, "--topic", both, *flags)
    same("kafka-get-offsets.sh", "GetOffsetShell", *b, "--topic-partitions", "%s:3-,%s:1,%s:-1" % (topic, other, topic))
    same("kafka-get-offsets.sh", "GetOffsetShell", *b, "--topic-partitions", "%s:0-5" % topic, "--time", "-2")
    same("kafka-get-offsets.sh", "GetOffsetShell", *b, "--topic-partitions", "x:1", "--topic", topic)
    same("kafka-get-offsets.sh", "GetOffsetShell", *b, "--topic", "no-such-topic-at-all")
    same("kafka-get-offsets.sh", "GetOffsetShell", *b, "--topic-partitions", "a:b:c")
    code, out, _ = same("kafka-get-offsets.sh", "GetOffsetShell", *b, "--topic", topic)
    assert code == 0 and sum(int(l.split(":")[2]) for l in out.splitlines()) == 5
    # Internal topics: listed by default, left out with --exclude-internal-topics (run when the broker has one).
    same("kafka-get-offsets.sh", "GetOffsetShell", *b, "--topic", "__.*|%s" % other, "--exclude-internal-topics")


def test_log_dirs_same_as_kafka(bootstrap):
    b = ["--bootstrap-server", bootstrap]
    topic = spec.topic_name("logdirs")
    create(bootstrap, topic, 20)
    res = run([os.path.join(BIN, "kafka-console-producer.sh"), *b, "--topic", topic], stdin="one\ntwo\nthree\n")
    assert res.returncode == 0, res.stderr
    code, out, _ = same("kafka-log-dirs.sh", "LogDirsCommand", *b, "--describe", "--topic-list", topic)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Querying brokers for log directories information"
    doc = json.loads(lines[2])
    parts = doc["brokers"][0]["logDirs"][0]["partitions"]
    assert sorted(p["partition"] for p in parts) == sorted("%s-%d" % (topic, i) for i in range(20))
    assert sum(p["size"] for p in parts) > 0 and all(p["offsetLag"] == 0 and p["isFuture"] is False for p in parts)
    broker = doc["brokers"][0]["broker"]
    same("kafka-log-dirs.sh", "LogDirsCommand", *b, "--describe", "--topic-list", topic, "--broker-list", str(broker))
    same("kafka-log-dirs.sh", "LogDirsCommand", *b, "--describe", "--broker-list", "%d,4242" % broker)
    code, _, err = same("kafka-log-dirs.sh", "LogDirsCommand", *b, "--describe", "--topic-list", "no-such-topic-at-all")
    assert code == 0


def test_delete_records_same_as_kafka(bootstrap):
    b = ["--bootstrap-server", bootstrap]
    topic = spec.topic_name("delrec")
    create(bootstrap, topic, 1)
    res = run([os.path.join(BIN, "kafka-console-producer.sh"), *b, "--topic", topic], stdin="".join("r%d\n" % i for i in range(10)))
    assert res.returncode == 0, res.stderr
    with tempfile.TemporaryDirectory() as d:
        def doc(entries, version=1):
            path = os.path.join(d, "offsets-%d.json" % len(os.listdir(d)))
            with open(path, "w") as f:
                json.dump({"partitions": [{"topic": t, "partition": p, "offset": o} for t, p, o in entries], "version": version}, f)
            return path

        def compare(path):
            mine = ours("kafka-delete-records.sh", *b, "--offset-json-file", path)
            theirs = kafkas("DeleteRecordsCommand", *b, "--offset-json-file", path)
            assert mine[0] == theirs[0] and mine[2] == theirs[2], (mine, theirs)
            m, t = mine[1].splitlines(), theirs[1].splitlines()
            assert m[:2] == t[:2] and sorted(m[2:]) == sorted(t[2:]), (mine, theirs)
            return mine

        code, out, _ = compare(doc([(topic, 0, 4)]))
        assert out.splitlines() == ["Executing records delete operation", "Records delete operation completed:",
                                    "partition: %s-0\tlow_watermark: 4" % topic]
        # Out of range, and -1 (the high watermark).
        compare(doc([(topic, 0, 100)]))
        code, out, _ = compare(doc([(topic, 0, -1)]))
        assert out.splitlines()[2] == "partition: %s-0\tlow_watermark: 10" % topic
        same("kafka-get-offsets.sh", "GetOffsetShell", *b, "--topic", topic, "--time", "-2")
        # Files Kafka's tool refuses.
        compare(doc([(topic, 0, 1), (topic, 0, 2)]))
        compare(doc([(topic, 0, 1)], version=2))
        bad = os.path.join(d, "bad.json")
        with open(bad, "w") as f:
            f.write("{not json")
        compare(bad)
        nopart = os.path.join(d, "nopart.json")
        with open(nopart, "w") as f:
            f.write('{"version": 1}')
        compare(nopart)
