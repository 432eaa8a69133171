// The node producers of the failover tests (test_failover.py): KafkaJS 2.2.4 or Tributary's own
// Producer (dist/src/client), idempotent with acks=-1. Sends a numbered sequence of records to one
// partition, one send at a time awaited (the usual KafkaJS pattern) paced at --interval-ms, while the
// test kills the partition's leader, and prints every outcome as one JSON object a line (the same
// lines as the Java and Python failover producers):
//   {"ev":"start","client":...}  {"ev":"ack","i":n,"p":partition,"o":offset}
//   {"ev":"err","i":n,"err":"..."}  {"ev":"done","acked":a,"failed":f}
// Record n has key "k-n" and value "<prefix>-n". The clients' own logs go to stderr.
//   node failover-producer.mjs --client kafkajs|tributary --bootstrap H:P[,H:P] --topic T --count N
//        [--interval-ms 20] [--prefix v] [--partition 0]
// Tributary's Producer takes one bootstrap address (host:port): with a list, the first is used.
import { createRequire } from 'node:module';

const opts = { 'interval-ms': '20', prefix: 'v', partition: '0' };
const argv = process.argv.slice(2);
for (let i = 0; i + 1 < argv.length; i += 2) {
  if (!argv[i].startsWith('--')) throw new Error(`expected --option, got ${argv[i]}`);
  opts[argv[i].slice(2)] = argv[i + 1];
}
for (const k of ['client', 'bootstrap', 'topic', 'count']) if (!opts[k]) throw new Error(`--${k} is required`);
const { topic, prefix } = opts;
const count = Number(opts.count);
const partition = Number(opts.partition);
const interval = Number(opts['interval-ms']);
const out = (ev) => process.stdout.write(`${JSON.stringify(ev)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const errText = (e) => `${e?.name ?? 'Error'}: ${e?.message ?? e}${e?.type ? ` (${e.type})` : ''}`;

async function kafkajsClient() {
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const version = createRequire(import.meta.url)('kafkajs/package.json').version;
  const kafka = new Kafka({
    clientId: `interop-failover-kafkajs-${process.pid}`,
    brokers: opts.bootstrap.split(','),
    logLevel: logLevel.WARN,
    requestTimeout: 10000,
  });
  // idempotent: KafkaJS retries without limit by default; the backoff is shortened so that a
  // failover of several seconds is waited out in a few steps
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  await producer.connect();
  return {
    name: `kafkajs ${version}`,
    async send(key, value) {
      const [md] = await producer.send({ topic, acks: -1, timeout: 10000, messages: [{ key, value, partition }] });
      if (md.errorCode) throw new Error(`errorCode ${md.errorCode}`);
      return { p: md.partition, o: Number(md.baseOffset) };
    },
    close: () => producer.disconnect(),
  };
}

async function tributaryClient() {
  const { Producer } = await import('../../../dist/src/index.js');
  const bootstrap = opts.bootstrap.split(',')[0];
  // retries and backoff cover a failover of several seconds (the defaults, 5 x 100 ms, do not)
  const producer = await Producer.connect({ bootstrap, acks: -1, idempotent: true, lingerMs: 5, retries: 100, retryBackoffMs: 200, requestTimeoutMs: 10000 });
  return {
    name: 'tributary',
    async send(key, value) {
      const [md] = await producer.send(topic, { key, value, partition });
      return { p: md.partition, o: Number(md.offset) };
    },
    close: () => producer.close(),
  };
}

const client = opts.client === 'kafkajs' ? await kafkajsClient() : opts.client === 'tributary' ? await tributaryClient() : null;
if (!client) throw new Error(`unknown client ${opts.client}`);
out({ ev: 'start', client: client.name });
let acked = 0;
let failed = 0;
let next = Date.now();
for (let i = 0; i < count; i++) {
  try {
    const md = await client.send(Buffer.from(`k-${i}`), Buffer.from(`${prefix}-${i}`));
    acked++;
    out({ ev: 'ack', i, p: md.p, o: md.o });
  } catch (e) {
    failed++;
    out({ ev: 'err', i, err: errText(e) });
  }
  next += interval;
  const wait = next - Date.now();
  if (wait > 0) await sleep(wait); // the sending pace, not a synchronisation
}
await client.close();
out({ ev: 'done', acked, failed });
process.stdout.write('', () => process.exit(0));
