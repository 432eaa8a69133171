#!/usr/bin/env python3
"""Captures byte-exact Kafka protocol frames between real clients and a real Apache Kafka broker,
as fixtures for the codec tests.

Starts the reference broker (scripts/kafka-ref.sh) advertising a TCP proxy's address, so every
connection a client makes, bootstrap or not, goes through the proxy. The proxy forwards bytes
unchanged and splits both directions into length-prefixed frames, pairing responses to requests
by correlation id. Sessions:
  kcat         metadata (-L), produce, consume, offset queries (-Q); topics made beforehand with
               confluent-kafka's AdminClient (kcat has no admin commands), not recorded
  kcat-<codec> produce and consume with gzip, snappy, lz4, zstd (Produce and Fetch only)
  java         test/interop/java's program, codec none: Admin (CreateTopics, Metadata,
               ListOffsets, ...), idempotent producer (InitProducerId, Produce), consumer (Fetch)
  java-<codec> the same with gzip, snappy, lz4, zstd (Produce and Fetch only)
against Apache Kafka 4.3.1, and then the java sessions again against Apache Kafka 3.9.1, labelled
java-kafka391[-<codec>]: the message specs in ../shared/kafka-reference are 3.9's, so those frames
carry the versions a 4.x Java client negotiates with a broker that advertises exactly them
(Produce v11, Fetch v17, ...) where the 4.3.1 ones carry Produce v13, Fetch v18, ...
For each session, API key and version it keeps one request/response pair, the one with the
largest response (so a Fetch pair holds records, not an empty long poll), and writes
  <out>/<client>-<apiKey>-v<version>-req.bin   the request frame, its 4-byte size prefix included
  <out>/<client>-<apiKey>-v<version>-resp.bin  the response frame, likewise
plus <out>/index.json describing every file.

Usage (after scripts/install-interop.sh python java kafka):
  .cache/venv/bin/python scripts/capture-fixtures.py [--out test/fixtures/frames]
"""
import argparse
import asyncio
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
API_NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 18: "ApiVersions", 19: "CreateTopics",
             22: "InitProducerId"}
CODECS = ("gzip", "snappy", "lz4", "zstd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """Keeps, per (label, api key, version), the pair with the largest response."""

    def __init__(self):
        self.label = None  # None: forward without recording
        self.keys = set(API_NAMES)
        self.pairs = {}
        self.broker = {}  # (label, api key, version) -> Kafka version

    def keep(self, label, keys, req, resp):
        api_key, version = struct.unpack(">hh", req[4:8])
        if label is None or api_key not in keys:
            return
        k = (label, api_key, version)
        if k not in self.pairs or len(resp) > len(self.pairs[k][1]):
            self.pairs[k] = (req, resp)


class Proxy:
    def __init__(self, upstream_port, recorder):
        self.upstream_port = upstream_port
        self.rec = recorder
        self.server = None

    async def start(self, port):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", port)

    async def handle(self, creader, cwriter):
        try:
            ureader, uwriter = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            cwriter.close()
            return
        label, keys = self.rec.label, set(self.rec.keys)  # a connection belongs to the session that opened it
        pending = {}

        async def pump(reader, writer, on_frame):
            buf = b""
            try:
                while True:
                    chunk = await reader.read(65536)
                    if not chunk:
                        break
                    writer.write(chunk)
                    await writer.drain()
                    buf += chunk
                    while len(buf) >= 4:
                        size = struct.unpack(">i", buf[:4])[0]
                        if len(buf) < 4 + size:
                            break
                        on_frame(buf[:4 + size])
                        buf = buf[4 + size:]
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                try:
                    writer.close()
                except Exception:
                    pass

        def on_request(frame):
            corr = struct.unpack(">i", frame[8:12])[0]
            pending[corr] = frame

        def on_response(frame):
            corr = struct.unpack(">i", frame[4:8])[0]
            req = pending.pop(corr, None)
            if req is not None:
                self.rec.keep(label, keys, req, frame)

        await asyncio.gather(pump(creader, uwriter, on_request), pump(ureader, cwriter, on_response))


async def run(cmd, timeout=120, stdin=None):
    p = await asyncio.create_subprocess_exec(*cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    out, err = await asyncio.wait_for(p.communicate(stdin), timeout)
    if p.returncode != 0:
        raise SystemExit("capture: %s exited %d:\n%s\n%s" % (" ".join(cmd), p.returncode, out.decode(), err.decode()))
    return out.decode()


async def sessions(rec, bootstrap, kcat_too=True, java_label="java"):
    from confluent_kafka.admin import AdminClient, NewTopic
    kcat = shutil.which("kcat") or sys.exit("capture: kcat is not installed")
    java_jar = os.path.join(ROOT, "test", "interop", "java", "target", "interop-client.jar")
    if not os.path.exists(java_jar):
        sys.exit("capture: %s missing: run scripts/install-interop.sh java" % java_jar)

    def create(topic):  # not recorded: rec.label is None here
        admin = AdminClient({"bootstrap.servers": bootstrap})
        admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            md = admin.list_topics(topic, timeout=10).topics.get(topic)
            if md is not None and md.error is None and md.partitions:
                return
            time.sleep(0.1)

    lines = "".join("key-%d|value-%d-%s\n" % (i, i, "abcdefgh" * 8) for i in range(5)).encode()
    for codec in ("none",) + CODECS if kcat_too else ():
        label = "kcat" if codec == "none" else "kcat-" + codec
        topic = "fixture-%s" % label
        rec.label = None
        await asyncio.to_thread(create, topic)  # the proxy runs on this loop
        rec.label, rec.keys = label, set(API_NAMES) if codec == "none" else {0, 1}
        k = [kcat, "-b", bootstrap, "-m", "15"]
        if codec == "none":
            await run(k + ["-L", "-J"])
        await run(k + ["-P", "-t", topic, "-p", "0", "-K", "|", "-z", codec, "-H", "h1=v1", "-H", "h2=v2"], stdin=lines)
        await run(k + ["-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-J", "-q"])
        if codec == "none":
            await run(k + ["-Q", "-t", "%s:0:-2" % topic])
            await run(k + ["-Q", "-t", "%s:0:-1" % topic])
            await run(k + ["-Q", "-t", "%s:0:%d" % (topic, int(time.time() * 1000) - 60000)])

    for codec in ("none",) + CODECS:
        rec.label = java_label if codec == "none" else "%s-%s" % (java_label, codec)
        rec.keys = set(API_NAMES) if codec == "none" else {0, 1}
        await run(["java", "-Xmx256m", "-jar", java_jar, bootstrap, "fixture-%s" % rec.label, codec, "5"])
    rec.label = None


async def capture_against(rec, kafka_version, **kw):
    tmp = tempfile.mkdtemp(prefix="capture-kafka-")
    broker_port, proxy_port = free_port(), free_port()
    proxy = Proxy(broker_port, rec)
    await proxy.start(proxy_port)
    ref = os.path.join(ROOT, "scripts", "kafka-ref.sh")
    env = dict(os.environ, KAFKA_VERSION=kafka_version)
    p = await asyncio.create_subprocess_exec(
        ref, "start", tmp, str(broker_port), "advertised.listeners=PLAINTEXT://127.0.0.1:%d" % proxy_port,
        env=env, stdin=subprocess.DEVNULL)
    if await asyncio.wait_for(p.wait(), 300) != 0:
        raise SystemExit("capture: Apache Kafka %s did not start" % kafka_version)
    try:
        before = set(rec.pairs)
        await sessions(rec, "127.0.0.1:%d" % proxy_port, **kw)
        for k in set(rec.pairs) - before:
            rec.broker[k] = kafka_version
    finally:
        subprocess.run([ref, "stop", tmp], timeout=60, env=env)
        proxy.server.close()
        shutil.rmtree(tmp, ignore_errors=True)


async def amain(args):
    rec = Recorder()
    await capture_against(rec, args.kafka)
    if args.kafka_specs:
        await capture_against(rec, args.kafka_specs, kcat_too=False,
                              java_label="java-kafka" + args.kafka_specs.replace(".", ""))

    os.makedirs(args.out, exist_ok=True)
    for f in os.listdir(args.out):
        if f.endswith(".bin"):
            os.remove(os.path.join(args.out, f))
    index = {"brokers": "Apache Kafka (scripts/kafka-ref.sh), the version per frame in 'kafka'",
             "clients": "kcat 1.7.1 (librdkafka 2.0.2); Java kafka-clients 4.3.1 (test/interop/java)",
             "captured": time.strftime("%Y-%m-%d"),
             "format": "each file is one frame as sent on the wire: int32 size, then the request (header + body) "
                       "or the response (header + body); a pair shares its correlation id",
             "frames": []}
    for (label, api_key, version), (req, resp) in sorted(rec.pairs.items()):
        stem = "%s-%d-v%d" % (label, api_key, version)
        for kind, frame in (("req", req), ("resp", resp)):
            with open(os.path.join(args.out, "%s-%s.bin" % (stem, kind)), "wb") as f:
                f.write(frame)
        client_id_len = struct.unpack(">h", req[12:14])[0]
        index["frames"].append({
            "client": label, "kafka": rec.broker.get((label, api_key, version)), "apiKey": api_key, "api": API_NAMES[api_key], "version": version,
            "correlationId": struct.unpack(">i", req[8:12])[0],
            "clientId": req[14:14 + client_id_len].decode() if client_id_len >= 0 else None,
            "request": "%s-req.bin" % stem, "requestBytes": len(req),
            "response": "%s-resp.bin" % stem, "responseBytes": len(resp)})
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    total = sum(e["requestBytes"] + e["responseBytes"] for e in index["frames"])
    print("capture: %d pairs, %d bytes, in %s" % (len(index["frames"]), total, os.path.relpath(args.out, ROOT)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "frames"))
    ap.add_argument("--kafka", default="4.3.1", help="the broker for the kcat and java sessions")
    ap.add_argument("--kafka-specs", default="3.9.1",
                    help="the broker matching ../shared/kafka-reference's specs, for the java-kafkaNNN sessions "
                         "('' to skip)")
    asyncio.run(amain(ap.parse_args()))


if __name__ == "__main__":
    main()
