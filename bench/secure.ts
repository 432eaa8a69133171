/**
 * The SASL_SSL side of bench:compare (issue 11, "Speed"): one set of certificates for both brokers
 * (a CA and a server certificate for 127.0.0.1 made with the openssl CLI), the broker settings of a
 * SASL_SSL listener with SCRAM-SHA-512 (the same Kafka keys on both), the SCRAM user, and the
 * client properties file Kafka's ProducerPerformance / ConsumerPerformance read (--command-config).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '../src/client/admin.js';

export const SCRAM_USER = 'bench';
export const SCRAM_PASSWORD = 'bench-secret';
export const SCRAM_MECHANISM = 'SCRAM-SHA-512';

export interface BenchCerts {
  dir: string;
  /** PEM: the server's private key, then its certificate. */
  serverPem: string;
  caCrt: string;
  /** The client settings of the SASL_SSL listener (truststore PEM, SCRAM-SHA-512 login). */
  clientProps: string;
}

function openssl(cwd: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.error?.message ?? r.stderr}`);
}

/** A CA and a server certificate (RSA 2048, SAN IP:127.0.0.1) in `dir`, and the client properties. */
export function makeCerts(dir: string): BenchCerts {
  mkdirSync(dir, { recursive: true });
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Bench CA', '-days', '2']);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
  const serverPem = join(dir, 'server.pem');
  writeFileSync(serverPem, readFileSync(join(dir, 'server.key'), 'utf8') + readFileSync(join(dir, 'server.crt'), 'utf8'));
  const caCrt = join(dir, 'ca.crt');
  const clientProps = join(dir, 'client-sasl-ssl.properties');
  writeFileSync(
    clientProps,
    [
      'security.protocol=SASL_SSL',
      `sasl.mechanism=${SCRAM_MECHANISM}`,
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${SCRAM_USER}" password="${SCRAM_PASSWORD}";`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${caCrt}`,
      '',
    ].join('\n'),
  );
  return { dir, serverPem, caCrt, clientProps };
}

/** The broker settings of a listener named SASL_SSL (security protocol SASL_SSL), Kafka's keys. */
export function saslSslBrokerConfig(c: BenchCerts): string[] {
  return [
    `listener.name.sasl_ssl.sasl.enabled.mechanisms=${SCRAM_MECHANISM}`,
    `listener.name.sasl_ssl.${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${c.serverPem}`,
  ];
}

/** Creates the SCRAM user over the PLAINTEXT listener (AlterUserScramCredentials). */
export async function createScramUser(plaintextBootstrap: string): Promise<void> {
  const admin = await Admin.connect({ bootstrap: plaintextBootstrap, requestTimeoutMs: 30_000 });
  try {
    await admin.alterUserScramCredentials([{ user: SCRAM_USER, mechanism: SCRAM_MECHANISM, iterations: 4096, password: SCRAM_PASSWORD }]);
  } finally {
    await admin.close();
  }
}
