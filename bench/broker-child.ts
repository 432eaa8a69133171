/**
 * The embedded broker of `npm run bench`, in its own process so its peak RSS and CPU time can be
 * read from /proc. Usage (by lib.ts's startChildBroker, over an IPC channel):
 *   node dist/bench/broker-child.js <logDir> [<json of extra config>]
 * Sends { bootstrap } once listening; closes the broker and exits on the message 'stop'.
 */
import { Broker } from '../src/index.js';
import { createLogger } from '../src/broker/logger.js';

const [logDir, extra] = process.argv.slice(2);
if (!logDir || !process.send) {
  console.error('usage: node dist/bench/broker-child.js <logDir> [<config json>]  (forked with an IPC channel)');
  process.exit(2);
}
try {
  const config = JSON.parse(extra ?? '{}') as Record<string, string>;
  const broker = await Broker.start(
    { listeners: 'PLAINTEXT://127.0.0.1:0', logDirs: logDir, ...config },
    { logger: createLogger(process.env.TRIBUTARY_LOG_LEVEL ?? 'warn') },
  );
  process.on('message', (m) => {
    if (m !== 'stop') return;
    broker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.on('disconnect', () => {
    void broker.close().finally(() => process.exit(0));
  });
  process.send({ bootstrap: broker.bootstrap });
} catch (err) {
  process.send({ error: (err as Error).stack ?? String(err) });
  process.exit(1);
}
