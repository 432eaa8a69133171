// What every Node client in the interop suite produces and expects back; the same records as
// test/interop/spec.py and the Java program: key-<i>, <codec>:<i>:abcdefgh*25, three headers
// (one binary), timestamps base + i*1000.
import assert from 'node:assert/strict';

export const COUNT = 10;
export const FROM = 4; // "consume by offset" starts here
export const DEADLINE_MS = 30_000;

export const key = (i) => `key-${i}`;
export const value = (codec, i) => `${codec}:${i}:${'abcdefgh'.repeat(25)}`;
export const headers = (codec, i) => [
  ['h-index', Buffer.from(String(i))],
  ['h-codec', Buffer.from(codec)],
  ['h-bin', Buffer.from([0, 0xff, i])],
];

export function parseArgs(argv = process.argv.slice(2)) {
  const [bootstrap, topic, codec] = argv;
  if (!bootstrap || !topic || !codec) {
    console.error('usage: <script> <bootstrap host:port> <topic> <none|gzip|snappy|lz4|zstd>');
    process.exit(2);
  }
  return { bootstrap, topic, codec, base: Date.now() - 600_000 };
}

/** got: [{offset, key, value, timestamp, headers: [[name, Buffer]]}] with Buffers / bigint|number */
export function checkRecords(what, got, codec, base, from = 0, count = COUNT) {
  assert.equal(got.length, count - from, `${what}: record count`);
  got.forEach((r, j) => {
    const i = from + j;
    const at = `${what}, record ${i}`;
    assert.equal(Number(r.offset), i, `${at}: offset`);
    assert.equal(Buffer.from(r.key).toString(), key(i), `${at}: key`);
    assert.equal(Buffer.from(r.value).toString(), value(codec, i), `${at}: value`);
    assert.equal(Number(r.timestamp), base + i * 1000, `${at}: timestamp`);
    const want = headers(codec, i).map(([k, v]) => [k, v.toString('hex')]);
    const have = r.headers.map(([k, v]) => [String(k), Buffer.from(v).toString('hex')]);
    assert.deepEqual(have, want, `${at}: headers (name, hex value)`);
  });
}

/** Runs main; prints OK or the mismatch and exits non-zero. A hard timer bounds the whole run. */
export function run(name, main) {
  const timer = setTimeout(() => {
    console.error(`${name}: TIMEOUT after ${DEADLINE_MS * 2} ms`);
    process.exit(3);
  }, DEADLINE_MS * 2);
  timer.unref();
  main().then(
    (summary) => {
      console.log(`OK ${name} ${summary ?? ''}`);
      process.exit(0);
    },
    (err) => {
      console.error(`${name}: ${err instanceof assert.AssertionError ? 'MISMATCH ' : ''}${err?.stack ?? err}`);
      process.exit(1);
    },
  );
}
