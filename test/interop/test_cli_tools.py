"""Tributary's Kafka tools (bin/kafka-*.sh) as the seed's CLI walkthrough uses them, against the
broker under test (Tributary, or Apache Kafka with INTEROP_BROKER=kafka): create and list a topic,
send lines with the console producer, read them back with the console consumer, change and remove
a config, add partitions, delete the topic."""
import os
import subprocess

import spec
from conftest import ROOT

BIN = os.path.join(ROOT, "bin")


def tool(name, *args, stdin=None, ok=True):
    res = subprocess.run([os.path.join(BIN, name), *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                         timeout=60)
    if ok:
        assert res.returncode == 0, "%s %s exited %d\nstdout:\n%s\nstderr:\n%s" % (
            name, " ".join(args), res.returncode, res.stdout, res.stderr)
    return res


def test_seed_cli_walkthrough(bootstrap):
    b = ["--bootstrap-server", bootstrap]
    topic = spec.topic_name("cli")
    assert tool("kafka-topics.sh", *b, "--create", "--replication-factor", "1", "--partitions", "1",
                "--topic", topic).stdout == "Created topic %s.\n" % topic
    assert topic in tool("kafka-topics.sh", *b, "--list").stdout.split("\n")

    lines = "".join("k%d:message %d\n" % (i % 3, i) for i in range(10))
    tool("kafka-console-producer.sh", *b, "--topic", topic, "--reader-property", "parse.key=true",
         "--reader-property", "key.separator=:", stdin=lines)
    out = tool("kafka-console-consumer.sh", *b, "--topic", topic, "--from-beginning", "--max-messages", "10",
               "--formatter-property", "print.key=true", "--formatter-property", "print.offset=true")
    assert out.stdout == "".join("Offset:%d\tk%d\tmessage %d\n" % (i, i % 3, i) for i in range(10))
    assert out.stderr.strip().endswith("Processed a total of 10 messages")

    # The seed's "modification of configuration", in today's tools.
    tool("kafka-configs.sh", *b, "--alter", "--topic", topic, "--add-config", "max.message.bytes=128000,flush.messages=1")
    described = tool("kafka-configs.sh", *b, "--describe", "--topic", topic).stdout
    assert described.startswith("Dynamic configs for topic %s are:\n" % topic)
    assert "  max.message.bytes=128000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:max.message.bytes=128000" in described
    tool("kafka-configs.sh", *b, "--alter", "--topic", topic, "--delete-config", "max.message.bytes")
    assert "max.message.bytes" not in tool("kafka-configs.sh", *b, "--describe", "--topic", topic).stdout

    tool("kafka-topics.sh", *b, "--alter", "--topic", topic, "--partitions", "3")
    summary = tool("kafka-topics.sh", *b, "--describe", "--topic", topic).stdout.split("\n")[0]
    assert summary.startswith("Topic: %s\tTopicId: " % topic) and "\tPartitionCount: 3\tReplicationFactor: 1\t" in summary
    assert "flush.messages=1" in summary

    again = tool("kafka-topics.sh", *b, "--create", "--topic", topic, ok=False)
    assert again.returncode == 1 and "Error while executing topic command : Topic '%s' already exists." % topic in again.stdout

    tool("kafka-topics.sh", *b, "--delete", "--topic", topic)
    spec.poll_until(lambda: topic not in tool("kafka-topics.sh", *b, "--list").stdout.split("\n"),
                    "the topic to disappear from the list", 30)
