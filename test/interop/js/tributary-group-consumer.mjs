// A consumer-group member built on Tributary's own Consumer (dist/src/client), for the group tests:
// it prints the same JSON events as the other member programs (groups.py reads them):
//   {"ev": "start"}, {"ev": "assigned"|"revoked", "parts", "owned"}, {"ev": "rec", "p", "o", "v"},
//   {"ev": "closed"} after a graceful close (SIGTERM: commit, LeaveGroup).
//   node tributary-group-consumer.mjs --bootstrap H:P --topic T --group G [--session-ms 6000] [--heartbeat-ms 1000]
//        [--assignor range|roundrobin] [--retry-retriable 1]
// With --retry-retriable 1 an error poll() rejects with that the client marks retriable is printed
// as {"ev": "poll-error", "err", "code", "retriable"} and the loop polls again (what an application
// that honours the flag does); any other error ends the process, as without it.
import { Consumer } from '../../../dist/src/index.js';

const opts = { 'session-ms': '6000', 'heartbeat-ms': '1000', assignor: 'range' };
const argv = process.argv.slice(2);
for (let i = 0; i + 1 < argv.length; i += 2) opts[argv[i].replace(/^--/, '')] = argv[i + 1];
const out = (ev) => process.stdout.write(JSON.stringify(ev) + '\n');
out({ ev: 'start', client: 'tributary', pid: process.pid });

const sorted = (ps) => ps.map((p) => p.partition).sort((a, b) => a - b);
const consumer = await Consumer.connect({
  bootstrap: opts.bootstrap,
  clientId: `tributary-${process.pid}`,
  groupId: opts.group,
  autoOffsetReset: 'earliest',
  maxWaitMs: 200,
  autoCommitIntervalMs: 500,
  group: { sessionTimeoutMs: Number(opts['session-ms']), heartbeatIntervalMs: Number(opts['heartbeat-ms']), assignor: opts.assignor },
  onAssigned: (ps) => out({ ev: 'assigned', parts: sorted(ps), owned: sorted(ps) }),
  onRevoked: (ps) => out({ ev: 'revoked', parts: sorted(ps), owned: [] }),
});
consumer.subscribe([opts.topic]);
let stop = false;
process.on('SIGTERM', () => (stop = true));
while (!stop) {
  let records;
  try {
    records = await consumer.poll();
  } catch (e) {
    if (opts['retry-retriable'] !== '1' || e?.retriable !== true) throw e;
    out({ ev: 'poll-error', err: `${e.name}: ${e.message}`, code: e.code ?? null, retriable: true });
    await new Promise((r) => setTimeout(r, 100)); // retry backoff
    continue;
  }
  for (const r of records) out({ ev: 'rec', p: r.partition, o: Number(r.offset), v: r.value.toString() });
}
await consumer.close();
out({ ev: 'closed' });
