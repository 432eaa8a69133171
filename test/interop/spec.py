"""The records every client in the interop suite produces and expects back.

The same data as js/spec.mjs and the Java program: key-<i>, <codec>:<i>:abcdefgh*25, three headers
(one with binary bytes), timestamps base + i*1000. Kept free of third-party imports, so the
kafka-python 3.x venv can import it too.
"""
import os
import socket
import time
import uuid

COUNT = 10
FROM = 4  # "consume by offset" starts here
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
DEADLINE_S = 30.0


def bootstrap():
    return os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092")


def topic_name(client, codec=""):
    return "interop-%s-%s%s" % (client, codec + "-" if codec else "", uuid.uuid4().hex[:10])


def key(i):
    return ("key-%d" % i).encode()


def value(codec, i):
    return ("%s:%d:%s" % (codec, i, "abcdefgh" * 25)).encode()


def headers(codec, i):
    return [("h-index", str(i).encode()), ("h-codec", codec.encode()), ("h-bin", bytes([0, 0xFF, i]))]


def base_timestamp():
    return int(time.time() * 1000) - 600_000


def expected(codec, base, start=0, count=COUNT):
    """[(offset, key, value, timestamp, headers)] for records start..count-1."""
    return [(i, key(i), value(codec, i), base + i * 1000, headers(codec, i)) for i in range(start, count)]


def wait_for_port(hostport, deadline_s, alive=lambda: True):
    host, port = hostport.rsplit(":", 1)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if not alive():
            return False
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def poll_until(fn, what, deadline_s=DEADLINE_S, interval=0.1):
    """Calls fn() until it returns a truthy value or the deadline passes (then raises)."""
    end = time.monotonic() + deadline_s
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() >= end:
            raise AssertionError("timed out after %.0fs waiting for %s (last: %r)" % (deadline_s, what, last))
        time.sleep(interval)
