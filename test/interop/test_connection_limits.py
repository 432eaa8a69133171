"""Connection limits on a broker of the kind under test, compared with Apache Kafka 4.3.1's
ConnectionQuotas: max.connections.per.ip=2 with max.connections.per.ip.overrides=127.0.0.3:4 (and
127.0.0.1:100 for the broker's own connections and the admin client).
Raw sockets from 127.0.0.2 and 127.0.0.3 (loopback aliases, so the broker's own connections from
127.0.0.1 do not count) send ApiVersions v0: the connections within the limit are answered, the
next one is closed by the broker. Then the overrides change through IncrementalAlterConfigs (broker
1) and apply to the next connection."""
import shutil
import socket
import struct
import tempfile

import pytest
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from conftest import EXTERNAL_BROKER, Broker, broker_kind

T = 15


@pytest.fixture(scope="module")
def limited_broker():
    if EXTERNAL_BROKER:
        pytest.skip("KAFKA_BOOTSTRAP names an outside broker; this test starts its own with connection limits")
    tmp = tempfile.mkdtemp(prefix="interop-limits-%s-" % broker_kind())
    broker = Broker(broker_kind(), tmp, extra=("max.connections.per.ip=2",
                                               "max.connections.per.ip.overrides=127.0.0.3:4,127.0.0.1:100")).start()
    try:
        yield broker.addr
    finally:
        broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def api_versions_from(addr, source):
    """A connection from `source` that sent ApiVersions v0: (socket, True if answered, False if the broker closed it)."""
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=T, source_address=(source, 0))
    client_id = b"limits"
    body = struct.pack(">hhih", 18, 0, 1, len(client_id)) + client_id
    try:
        s.sendall(struct.pack(">i", len(body)) + body)
        head = b""
        while len(head) < 4:
            chunk = s.recv(4 - len(head))
            if not chunk:
                return s, False
            head += chunk
        return s, True
    except (ConnectionResetError, BrokenPipeError):
        return s, False


def open_many(addr, source, n):
    return [api_versions_from(addr, source) for _ in range(n)]


def test_per_ip_limit_and_override(limited_broker):
    held = []
    try:
        two = open_many(limited_broker, "127.0.0.2", 3)
        held += [s for s, _ in two]
        assert [ok for _, ok in two] == [True, True, False]
        four = open_many(limited_broker, "127.0.0.3", 5)
        held += [s for s, _ in four]
        assert [ok for _, ok in four] == [True, True, True, True, False]
    finally:
        for s in held:
            s.close()


def test_overrides_are_dynamic(limited_broker):
    admin = AdminClient({"bootstrap.servers": limited_broker})
    res = ConfigResource(ResourceType.BROKER, "1", incremental_configs=[
        ConfigEntry("max.connections.per.ip.overrides", "127.0.0.2:3,127.0.0.3:4,127.0.0.1:100",
                    incremental_operation=AlterConfigOpType.SET)])
    for f in admin.incremental_alter_configs([res]).values():
        f.result(timeout=T)
    held = []
    try:
        # The broker closes the connections of the first test asynchronously: retry until it has.
        for _ in range(50):
            got = open_many(limited_broker, "127.0.0.2", 4)
            held += [s for s, _ in got]
            if [ok for _, ok in got] == [True, True, True, False]:
                break
            for s, _ in got:
                s.close()
        assert [ok for _, ok in got] == [True, True, True, False]
    finally:
        for s in held:
            s.close()
