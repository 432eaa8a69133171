// The console consumer's closing "Processed a total of N messages" (stderr) comes after the last
// record's line (stdout) when both go to one pipe, as on a terminal. Node writes stdout to a pipe
// asynchronously: with more output than the pipe holds and a reader that is not reading yet, the
// records are still queued when the summary is written, and without a flush the summary went first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { batch, connect, createTopic, produceRequest, startBroker, type TestBroker } from './helpers/broker-client.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/tributary.mjs');
/** Well over a pipe's 64 KiB, so stdout has to queue. */
const RECORDS = 200;
const filler = (i: number): string => `${i}:${'x'.repeat(1000)}`;

let tb: TestBroker;
before(async () => {
  tb = await startBroker();
  const c = await connect(tb);
  try {
    await createTopic(c, 'lines');
    const values = Array.from({ length: RECORDS - 1 }, (_v, i) => filler(i));
    const res = await c.send(ApiKey.Produce, produceRequest('lines', 0, batch([...values, 'world'])), { version: 12 });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
  } finally {
    await c.close();
  }
});
after(async () => {
  await tb.close();
});

test('console consumer: with stdout and stderr on one pipe, the summary follows the last record line', async () => {
  // sh puts stderr on stdout's pipe; the reader starts late, so the pipe is full while the consumer ends.
  const script = `"$0" "$1" console-consumer --bootstrap-server "$2" --topic lines --from-beginning --max-messages ${RECORDS} 2>&1 | (sleep 1.5; cat)`;
  const out = await new Promise<string>((done, fail) => {
    execFile('sh', ['-c', script, process.execPath, cli, tb.broker.bootstrap], { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (err, stdout) =>
      err ? fail(err) : done(stdout),
    );
  });
  const expected = Array.from({ length: RECORDS - 1 }, (_v, i) => `${filler(i)}\n`).join('') + 'world\n' + `Processed a total of ${RECORDS} messages\n`;
  const at = out.indexOf('Processed a total');
  const around = JSON.stringify(out.slice(Math.max(0, at - 30), at + 40));
  assert.ok(out.endsWith(`world\nProcessed a total of ${RECORDS} messages\n`), `the last record's line, then the summary; got ${around}`);
  assert.ok(out === expected, 'every record line intact, then the summary');
});
