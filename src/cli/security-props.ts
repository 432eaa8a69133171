/**
 * The client security settings of the Kafka tools' properties files (--command-config,
 * --producer.config, --consumer.config) as our client's `ssl` and `sasl` options:
 *   security.protocol                PLAINTEXT (default), SSL, SASL_PLAINTEXT, SASL_SSL
 *   sasl.mechanism                   PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER
 *   sasl.jaas.config                 ...PlainLoginModule/ScramLoginModule required username="u" password="p";
 *                                    ...OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice";
 *                                    (Kafka's unsecured development tokens, see client/oauthbearer.ts)
 *   sasl.oauthbearer.token.endpoint.url   file:///path: OAUTHBEARER sends the token in that file
 *                                    (read again for every login), as Kafka's file JWT retriever
 *   ssl.truststore.type              PEM (ssl.truststore.location or ssl.truststore.certificates) or
 *                                    PKCS12 (ssl.truststore.location, ssl.truststore.password)
 *   ssl.keystore.type                PEM (ssl.keystore.location with key and chain, or
 *                                    ssl.keystore.key + ssl.keystore.certificate.chain) or PKCS12
 *   ssl.keystore.password, ssl.key.password
 *   ssl.endpoint.identification.algorithm   empty: no host name verification (default https)
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { parseJaasConfig } from '../util/jaas.js';
import { pkcs12Certificates } from '../util/pkcs12.js';
import type { SaslOptions, PasswordMechanism } from '../client/sasl.js';
import { unsecuredLoginFromJaas } from '../client/oauthbearer.js';
import { UsageError } from './common.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
function blocks(text: string, kind: 'key' | 'cert'): string[] {
  return [...text.matchAll(PEM_BLOCK)].filter((m) => (kind === 'key' ? m[1]!.endsWith('PRIVATE KEY') : m[1] === 'CERTIFICATE')).map((m) => m[0]);
}

export async function securityOptions(props: ReadonlyMap<string, string>): Promise<{ ssl?: TlsConnectionOptions; sasl?: SaslOptions }> {
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) throw new UsageError(`Invalid value ${protocol} for configuration security.protocol`);
  const out: { ssl?: TlsConnectionOptions; sasl?: SaslOptions } = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const ssl: TlsConnectionOptions = {};
    const trustType = (props.get('ssl.truststore.type') ?? 'PEM').toUpperCase();
    const trustLocation = props.get('ssl.truststore.location');
    const trustInline = props.get('ssl.truststore.certificates');
    if (trustLocation || trustInline) {
      if (trustType === 'PKCS12' && trustLocation) {
        try {
          ssl.ca = pkcs12Certificates(await readFile(trustLocation), props.get('ssl.truststore.password') ?? null);
        } catch (e) {
          if (e instanceof Error && e.name === 'Pkcs12Error') throw new UsageError(`trust store ${trustLocation}: ${e.message}`);
          throw e;
        }
      } else if (trustType === 'PEM') {
        ssl.ca = blocks(trustLocation ? await readFile(trustLocation, 'utf8') : trustInline!, 'cert');
      } else {
        throw new UsageError(`ssl.truststore.type ${trustType} is not supported (PEM, or PKCS12 with ssl.truststore.location)`);
      }
    }
    const keyType = (props.get('ssl.keystore.type') ?? 'PEM').toUpperCase();
    const keyLocation = props.get('ssl.keystore.location');
    if (keyType === 'PKCS12' && keyLocation) {
      ssl.pfx = await readFile(keyLocation);
      const pw = props.get('ssl.keystore.password');
      if (pw !== undefined) ssl.passphrase = pw;
    } else if (keyType === 'PEM' && (keyLocation || props.has('ssl.keystore.key'))) {
      const text = keyLocation ? await readFile(keyLocation, 'utf8') : `${props.get('ssl.keystore.key')}\n${props.get('ssl.keystore.certificate.chain') ?? ''}`;
      ssl.key = blocks(text, 'key')[0];
      ssl.cert = blocks(text, 'cert').join('\n');
      const pw = props.get('ssl.key.password');
      if (pw !== undefined) ssl.passphrase = pw;
    } else if (keyLocation) {
      throw new UsageError(`ssl.keystore.type ${keyType} is not supported (PEM or PKCS12)`);
    }
    if (props.get('ssl.endpoint.identification.algorithm') === '') ssl.checkServerIdentity = () => undefined;
    out.ssl = ssl;
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = (props.get('sasl.mechanism') ?? 'GSSAPI').toUpperCase();
    if (mechanism === 'OAUTHBEARER') {
      out.sasl = oauthBearerOptions(props);
      return out;
    }
    if (mechanism !== 'PLAIN' && mechanism !== 'SCRAM-SHA-256' && mechanism !== 'SCRAM-SHA-512') throw new UsageError(`sasl.mechanism ${mechanism} is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)`);
    const jaas = props.get('sasl.jaas.config');
    if (!jaas) throw new UsageError('sasl.jaas.config must give the username and password');
    let entry;
    try {
      entry = parseJaasConfig(jaas)[0]!;
    } catch (err) {
      throw new UsageError(`Invalid sasl.jaas.config: ${(err as Error).message}`);
    }
    const username = entry.options.get('username');
    const password = entry.options.get('password');
    if (username === undefined || password === undefined) throw new UsageError('sasl.jaas.config must set username and password');
    out.sasl = { mechanism: mechanism as PasswordMechanism, username, password };
  }
  return out;
}

/** OAUTHBEARER from a token file (sasl.oauthbearer.token.endpoint.url=file://...) or the unsecured login options. */
function oauthBearerOptions(props: ReadonlyMap<string, string>): SaslOptions {
  const jaas = props.get('sasl.jaas.config');
  let options = new Map<string, string>();
  if (jaas) {
    try {
      options = parseJaasConfig(jaas)[0]!.options;
    } catch (err) {
      throw new UsageError(`Invalid sasl.jaas.config: ${(err as Error).message}`);
    }
  }
  const endpoint = (props.get('sasl.oauthbearer.token.endpoint.url') ?? '').trim();
  if (endpoint !== '') {
    if (!endpoint.startsWith('file:')) throw new UsageError(`sasl.oauthbearer.token.endpoint.url ${endpoint}: only file:// URLs are supported (a token from the identity provider over HTTP is not)`);
    const path = fileURLToPath(endpoint);
    const extensions: Record<string, string> = {};
    for (const [k, v] of options) if (k.startsWith('unsecuredLoginExtension_')) extensions[k.slice('unsecuredLoginExtension_'.length)] = v;
    return { mechanism: 'OAUTHBEARER', token: async () => (await readFile(path, 'utf8')).trim(), extensions };
  }
  if (!jaas) throw new UsageError('sasl.jaas.config must give OAuthBearerLoginModule options (unsecuredLoginStringClaim_sub="...") or sasl.oauthbearer.token.endpoint.url a token file');
  try {
    const login = unsecuredLoginFromJaas(options);
    return { mechanism: 'OAUTHBEARER', token: login.token, extensions: login.extensions };
  } catch (err) {
    throw new UsageError(`sasl.jaas.config: ${(err as Error).message}`);
  }
}
