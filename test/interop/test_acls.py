"""kafka-acls.sh parity with Apache Kafka 4.3.1's AclCommand, on a broker of the kind under test
started with authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer and
super.users=User:ANONYMOUS (what Kafka needs to answer the ACL APIs over PLAINTEXT). The same
--add / --list / --remove commands run through Kafka's own tool and through ours (bin/kafka-acls.sh)
against the same broker; their outputs must be the same lines (Kafka prints resources and entries
in hash order, ours sorted, so lines are compared as multisets), and what one tool adds the other
lists. Also the broker side through confluent-kafka's AdminClient: create, describe with a MATCH
filter, delete."""
import os
import shutil
import subprocess
import tempfile

import pytest
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   ResourcePatternType, ResourceType)

from cluster import kafka_tool
from conftest import EXTERNAL_BROKER, ROOT, Broker, broker_kind

T = 30
AUTHORIZER = ("authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
              "super.users=User:ANONYMOUS")


@pytest.fixture(scope="module")
def acl_broker():
    if EXTERNAL_BROKER:
        pytest.skip("KAFKA_BOOTSTRAP names an outside broker; this test starts its own with an authorizer")
    tmp = tempfile.mkdtemp(prefix="interop-acls-%s-" % broker_kind())
    broker = Broker(broker_kind(), tmp, extra=AUTHORIZER).start()
    try:
        yield broker.addr
    finally:
        broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def ours(*args):
    res = subprocess.run([os.path.join(ROOT, "bin", "kafka-acls.sh"), *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, stdin=subprocess.DEVNULL)
    return res.returncode, res.stdout


def kafkas(*args):
    res = kafka_tool("org.apache.kafka.tools.AclCommand", *args)
    if res is None:
        pytest.skip("Apache Kafka's jars are not in .cache/kafka (scripts/fetch-kafka.sh)")
    return res.returncode, res.stdout


def lines(out):
    return sorted(l for l in out.split("\n") if l.strip() != "")


def test_acl_command_parity(acl_broker):
    b = ["--bootstrap-server", acl_broker]
    # Kafka's tool adds, both list; ours adds, both list.
    add_k = kafkas(*b, "--add", "--allow-principal", "User:alice", "--operation", "Read", "--operation", "Describe",
                   "--topic", "acl-k")
    add_o = ours(*b, "--add", "--allow-principal", "User:alice", "--operation", "Read", "--operation", "Describe",
                 "--topic", "acl-o")
    assert add_k[0] == 0 and add_o[0] == 0, (add_k, add_o)
    assert lines(add_k[1].replace("acl-k", "X")) == lines(add_o[1].replace("acl-o", "X"))
    for topic in ("acl-k", "acl-o"):
        lk, lo = kafkas(*b, "--list", "--topic", topic), ours(*b, "--list", "--topic", topic)
        assert lk[0] == 0 and lo[0] == 0
        assert lines(lk[1]) == lines(lo[1]) != []

    # Producer and consumer conveniences, prefixed; --principal filtering.
    for tool, suffix in ((kafkas, "k"), (ours, "o")):
        code, _ = tool(*b, "--add", "--allow-principal", "User:bob", "--producer", "--idempotent", "--topic",
                       "pre-%s-" % suffix, "--resource-pattern-type", "prefixed", "--transactional-id", "tx-%s" % suffix)
        assert code == 0
        code, _ = tool(*b, "--add", "--allow-principal", "User:carol", "--deny-principal", "User:eve", "--deny-host",
                       "10.1.2.3", "--consumer", "--topic", "cons-%s" % suffix, "--group", "g-%s" % suffix)
        assert code != 0  # --consumer with --deny-principal is refused by both
    lk = kafkas(*b, "--list", "--principal", "User:bob")
    lo = ours(*b, "--list", "--principal", "User:bob")
    assert lines(lk[1]) == lines(lo[1])
    assert any("IDEMPOTENT_WRITE" in l for l in lines(lo[1]))
    assert any("name=pre-k-, patternType=PREFIXED" in l for l in lines(lo[1]))

    # Adding what exists says so in both.
    ek = kafkas(*b, "--add", "--allow-principal", "User:alice", "--operation", "Read", "--topic", "acl-o")
    eo = ours(*b, "--add", "--allow-principal", "User:alice", "--operation", "Read", "--topic", "acl-k")
    assert lines(ek[1].replace("acl-o", "X")) == lines(eo[1].replace("acl-k", "X"))
    assert "already exists." in eo[1]

    # Remove with --force: our tool removes what Kafka's added and the other way round.
    assert ours(*b, "--remove", "--force", "--topic", "acl-k")[0] == 0
    assert kafkas(*b, "--remove", "--force", "--allow-principal", "User:alice", "--operation", "Read", "--topic",
                  "acl-o")[0] == 0
    assert lines(kafkas(*b, "--list", "--topic", "acl-k")[1]) == []
    lo = ours(*b, "--list", "--topic", "acl-o")
    assert lines(lo[1]) == lines(kafkas(*b, "--list", "--topic", "acl-o")[1])
    assert "operation=DESCRIBE" in lo[1] and "operation=READ" not in lo[1]


def test_admin_client_acls(acl_broker):
    admin = AdminClient({"bootstrap.servers": acl_broker, "socket.timeout.ms": 15000})
    bindings = [
        AclBinding(ResourceType.TOPIC, "adm-", ResourcePatternType.PREFIXED, "User:dan", "*", AclOperation.WRITE,
                   AclPermissionType.ALLOW),
        AclBinding(ResourceType.GROUP, "adm-g", ResourcePatternType.LITERAL, "User:dan", "*", AclOperation.READ,
                   AclPermissionType.DENY),
    ]
    for f in admin.create_acls(bindings).values():
        assert f.result(T) is None
    match = AclBindingFilter(ResourceType.TOPIC, "adm-orders", ResourcePatternType.MATCH, None, None,
                             AclOperation.ANY, AclPermissionType.ANY)
    found = admin.describe_acls(match).result(T)
    assert [(x.name, x.resource_pattern_type) for x in found] == [("adm-", ResourcePatternType.PREFIXED)]
    # An invalid binding (empty name) fails alone with INVALID_REQUEST... Kafka refuses it client-side too.
    dan = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, "User:dan", None, AclOperation.ANY,
                           AclPermissionType.ANY)
    deleted = list(admin.delete_acls([dan]).values())[0].result(T)
    assert sorted(x.name for x in deleted) == ["adm-", "adm-g"]
    assert admin.describe_acls(dan).result(T) == []
