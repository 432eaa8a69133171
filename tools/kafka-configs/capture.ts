/**
 * Records a broker's answers to the config-parity cases (cases.ts) into
 * test/fixtures/kafka-configs/answers-<version>.json, which test/unit/kafka-configs.test.ts
 * compares Tributary's answers with. Run it against Apache Kafka started with BROKER_OVERRIDES:
 *
 *   scripts/kafka-ref.sh start /tmp/kref 19092 group.consumer.session.timeout.ms=10000 \
 *     group.consumer.min.session.timeout.ms=6000 group.consumer.heartbeat.interval.ms=1000 \
 *     group.consumer.min.heartbeat.interval.ms=1000
 *   npm run build && node dist/tools/kafka-configs/capture.js 127.0.0.1:19092
 *   scripts/kafka-ref.sh stop /tmp/kref
 *
 * The broker must be fresh (no topic or group configs of the cases' names).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, parseHostPort, type ApiKeyNumber, type RequestOf } from '../../src/client/connection.js';
import { answerOf, BROKER_OVERRIDES, configCases, SETUP, type Answer, type ConfigRequest } from './cases.js';
import { KAFKA_DOCS_VERSION, repoRoot } from './generate.js';

export const answersFile = (version = KAFKA_DOCS_VERSION): string => join(repoRoot, 'test', 'fixtures', 'kafka-configs', `answers-${version}.json`);

export interface AnswersFile {
  kafka: string;
  brokerOverrides: ReadonlyArray<[string, string]>;
  answers: Record<string, Answer>;
}

/** Sends one case's request on `conn` (the highest version both sides have). */
export async function sendCase(conn: Connection, request: ConfigRequest): Promise<unknown> {
  return conn.send(request.api as ApiKeyNumber, request.body as unknown as RequestOf<ApiKeyNumber>);
}

/** The file's text: one answer per line, so a change of Kafka's shows as a small diff. */
export function renderAnswers(file: AnswersFile): string {
  const lines = Object.entries(file.answers).map(([id, a]) => `    ${JSON.stringify(id)}: ${JSON.stringify(a)}`);
  return `{\n  "kafka": ${JSON.stringify(file.kafka)},\n  "brokerOverrides": ${JSON.stringify(file.brokerOverrides)},\n  "answers": {\n${lines.join(',\n')}\n  }\n}\n`;
}

async function main(bootstrap: string): Promise<void> {
  const conn = await Connection.connect({ ...parseHostPort(bootstrap), clientId: 'kafka-configs-capture' });
  try {
    for (const r of SETUP) await sendCase(conn, r);
    await new Promise((ok) => setTimeout(ok, 2000)); // Kafka: let the new topic reach the broker's metadata
    const answers: Record<string, Answer> = {};
    for (const c of configCases()) {
      answers[c.id] = answerOf(c.request.api, await sendCase(conn, c.request));
      // Kafka applies a change when its metadata reaches the broker, a moment after answering.
      if ('validateOnly' in c.request.body && !c.request.body.validateOnly) await new Promise((ok) => setTimeout(ok, 1500));
    }
    const file = answersFile();
    writeFileSync(file, renderAnswers({ kafka: KAFKA_DOCS_VERSION, brokerOverrides: BROKER_OVERRIDES, answers }));
    console.log(`wrote ${Object.keys(answers).length} answers to ${file}`);
  } finally {
    await conn.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const bootstrap = process.argv[2];
  if (!bootstrap) {
    console.error('usage: node dist/tools/kafka-configs/capture.js host:port');
    process.exit(2);
  }
  await main(bootstrap);
}
