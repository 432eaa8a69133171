/**
 * A listener's TLS settings, from Kafka's keys (per listener: `listener.name.<l>.ssl.*` over
 * `ssl.*`), as node:tls options. Key stores: PEM (a file holding the private key and the
 * certificate chain, or the inline `ssl.keystore.key` / `ssl.keystore.certificate.chain`) and
 * PKCS12. Trust stores: PEM (file or inline `ssl.truststore.certificates`) and PKCS12 (its
 * certificates, read by util/pkcs12.ts; `ssl.truststore.password` checks its MAC and decrypts
 * them). JKS is not supported: a ConfigError says how to convert it to PKCS12 with keytool.
 */
import { readFileSync } from 'node:fs';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { listenerValue, type ConfigReader } from '../config/listeners.js';
import { ConfigError } from '../config/validate.js';
import { pkcs12Certificates } from '../../util/pkcs12.js';

/** The error for a JKS store (Kafka's default type): not readable here, and how to convert it. */
function jksUnsupported(listener: string, key: 'ssl.keystore.type' | 'ssl.truststore.type', location: string | null): ConfigError {
  const convert = `keytool -importkeystore -srckeystore ${location ?? '<store>.jks'} -srcstoretype JKS -destkeystore <store>.p12 -deststoretype PKCS12`;
  return new ConfigError(key, `listener ${listener}: ${key} JKS is not supported (PEM or PKCS12); set ${key}=PKCS12 after converting the store: ${convert}`);
}

export type ClientAuth = 'required' | 'requested' | 'none';

export interface ListenerTls {
  context: SecureContextOptions;
  clientAuth: ClientAuth;
  /** Server options for tls.createServer (context plus client auth and protocols). */
  server: TlsOptions;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** The PEM blocks of a text, by kind: private keys and certificates. */
export function pemBlocks(text: string): { keys: string[]; certs: string[] } {
  const keys: string[] = [];
  const certs: string[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (m[1]!.endsWith('PRIVATE KEY')) keys.push(m[0]);
    else if (m[1] === 'CERTIFICATE') certs.push(m[0]);
  }
  return { keys, certs };
}

/**
 * Java cipher suite names (IANA names, as ssl.cipher.suites takes them) to OpenSSL's. TLS 1.3
 * suites have the same name in both. ECDHE/DHE with AES-GCM or CHACHA20 are mapped by rule;
 * other names pass through (an OpenSSL name works as it is).
 */
export function opensslCipher(javaName: string): string {
  const n = javaName.trim();
  if (/^TLS_(AES|CHACHA20)_/.test(n)) return n;
  let m = /^TLS_(ECDHE|DHE)_(RSA|ECDSA)_WITH_AES_(128|256)_GCM_SHA(256|384)$/.exec(n);
  if (m) return `${m[1]}-${m[2]}-AES${m[3]}-GCM-SHA${m[4]}`;
  m = /^TLS_(ECDHE|DHE)_(RSA|ECDSA)_WITH_CHACHA20_POLY1305_SHA256$/.exec(n);
  if (m) return `${m[1]}-${m[2]}-CHACHA20-POLY1305`;
  m = /^TLS_(ECDHE)_(RSA|ECDSA)_WITH_AES_(128|256)_CBC_SHA(256|384)?$/.exec(n);
  if (m) return `ECDHE-${m[2]}-AES${m[3]}-SHA${m[4] ?? ''}`;
  return n;
}

function protocolRange(list: string[]): Pick<TlsOptions, 'minVersion' | 'maxVersion'> {
  const known = ['TLSv1.2', 'TLSv1.3'] as const;
  const enabled = known.filter((v) => list.includes(v));
  if (enabled.length === 0) throw new Error(`ssl.enabled.protocols ${list.join(',')}: none of TLSv1.2, TLSv1.3`);
  return { minVersion: enabled[0], maxVersion: enabled[enabled.length - 1] };
}

/** Reads the TLS configuration of `listener`; throws a clear error for a missing or unusable store. */
export function listenerTls(config: ConfigReader, listener: string): ListenerTls {
  const v = (key: string): string | null => listenerValue((k) => config.get(k), (k) => config.isSet(k), listener, key);
  const list = (key: string): string[] => (v(key) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const context: SecureContextOptions = {};
  const keystoreType = (v('ssl.keystore.type') ?? 'JKS').toUpperCase();
  const location = v('ssl.keystore.location');
  const keyPassword = v('ssl.key.password') ?? v('ssl.keystore.password') ?? undefined;
  if (keystoreType === 'PEM') {
    const fromFile = location ? pemBlocks(readFileSync(location, 'utf8')) : null;
    const keys = fromFile ? fromFile.keys : pemBlocks(v('ssl.keystore.key') ?? '').keys;
    const certs = fromFile ? fromFile.certs : pemBlocks(v('ssl.keystore.certificate.chain') ?? '').certs;
    if (keys.length !== 1) throw new Error(`listener ${listener}: the PEM key store must hold exactly one private key (found ${keys.length})`);
    if (certs.length === 0) throw new Error(`listener ${listener}: the PEM key store holds no certificate`);
    context.key = keys[0]!;
    context.cert = certs.join('\n');
    if (keyPassword !== undefined) context.passphrase = keyPassword;
  } else if (keystoreType === 'PKCS12') {
    if (!location) throw new Error(`listener ${listener}: ssl.keystore.type=PKCS12 needs ssl.keystore.location`);
    context.pfx = readFileSync(location);
    const pw = v('ssl.keystore.password');
    if (pw !== null) context.passphrase = pw;
  } else if (keystoreType === 'JKS') {
    throw jksUnsupported(listener, 'ssl.keystore.type', location);
  } else {
    throw new ConfigError('ssl.keystore.type', `listener ${listener}: ssl.keystore.type ${keystoreType} is not supported (PEM or PKCS12)`);
  }
  const trustType = (v('ssl.truststore.type') ?? 'JKS').toUpperCase();
  const trustLocation = v('ssl.truststore.location');
  const trustInline = v('ssl.truststore.certificates');
  if (trustLocation || trustInline) {
    let certs: string[];
    if (trustType === 'PEM') {
      certs = pemBlocks(trustLocation ? readFileSync(trustLocation, 'utf8') : trustInline!).certs;
    } else if (trustType === 'PKCS12') {
      if (!trustLocation) throw new ConfigError('ssl.truststore.location', `listener ${listener}: ssl.truststore.type=PKCS12 needs ssl.truststore.location`);
      try {
        certs = pkcs12Certificates(readFileSync(trustLocation), v('ssl.truststore.password'));
      } catch (e) {
        if (e instanceof Error && e.name === 'Pkcs12Error') throw new ConfigError('ssl.truststore.location', `listener ${listener}: trust store ${trustLocation}: ${e.message}`);
        throw e;
      }
    } else if (trustType === 'JKS') {
      throw jksUnsupported(listener, 'ssl.truststore.type', trustLocation);
    } else {
      throw new ConfigError('ssl.truststore.type', `listener ${listener}: ssl.truststore.type ${trustType} is not supported (PEM or PKCS12)`);
    }
    if (certs.length === 0) throw new ConfigError('ssl.truststore.location', `listener ${listener}: the trust store holds no certificate`);
    context.ca = certs;
  }
  const ciphers = list('ssl.cipher.suites');
  if (ciphers.length > 0) context.ciphers = ciphers.map(opensslCipher).join(':');
  const protocols = list('ssl.enabled.protocols');
  Object.assign(context, protocolRange(protocols.length > 0 ? protocols : ['TLSv1.2', 'TLSv1.3']));
  const clientAuthRaw = (v('ssl.client.auth') ?? 'none').toLowerCase();
  if (clientAuthRaw !== 'required' && clientAuthRaw !== 'requested' && clientAuthRaw !== 'none') throw new Error(`ssl.client.auth ${clientAuthRaw}: one of required, requested, none`);
  const clientAuth: ClientAuth = clientAuthRaw;
  const server: TlsOptions = { ...context, requestCert: clientAuth !== 'none', rejectUnauthorized: clientAuth === 'required' };
  return { context, clientAuth, server };
}
