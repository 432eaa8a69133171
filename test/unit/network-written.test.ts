// The network layer's promise behind RequestContext.afterResponse: a response's `written` callback
// runs only once the socket has taken the whole frame, so buffers handed back to a pool then are
// never overwritten while still queued for a client that reads slowly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { Connection, type FrameResult } from '../../src/broker/network/connection.js';
import { capturingLogger } from './helpers/broker-client.js';

const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

test('written runs after a slow reader has taken the whole response, not when it is queued', async () => {
  const BIG = 32 * 1024 * 1024; // far more than loopback socket buffers hold while the peer does not read
  const body = Buffer.alloc(BIG, 7);
  let handled!: () => void;
  const handledP = new Promise<void>((r) => (handled = r));
  let written = 0;
  let writtenDone!: () => void;
  const writtenP = new Promise<void>((r) => (writtenDone = r));
  const { logger } = capturingLogger();
  let serverConn: Connection | undefined;
  const server = createServer((s: Socket) => {
    serverConn = new Connection(1, s, { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', sasl: null }, 'User:ANONYMOUS', { maxRequestBytes: 1024, maxQueuedRequests: 16 }, (): FrameResult => {
      handled();
      return {
        kind: 'respond',
        chunks: [body],
        written: () => {
          written++;
          writtenDone();
        },
      };
    }, logger, () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  try {
    await once(client, 'connect');
    client.pause();
    const req = Buffer.alloc(12);
    req.writeInt32BE(8, 0); // a frame of 8 bytes: the handler above ignores what it says
    client.write(req);
    await handledP;
    await ticks(20); // the connection has written (corked writev) what the kernel would take
    assert.equal(written, 0, 'written ran while most of the response still sat in the socket');

    let got = 0;
    client.on('data', (c: Buffer) => {
      got += c.length;
    });
    client.resume();
    await writtenP;
    assert.equal(written, 1);
    assert.ok(got > 0);
  } finally {
    client.destroy();
    serverConn?.destroy();
    server.close();
  }
});
