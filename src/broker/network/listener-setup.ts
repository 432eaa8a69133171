/**
 * Builds what each listener needs from the broker config: its security protocol
 * (listener.security.protocol.map), TLS for SSL and SASL_SSL, the principal mapping rules, and
 * for SASL listeners the enabled mechanisms, PLAIN's users and the limits of a login. Also the
 * dynamic reload of a listener's certificates (IncrementalAlterConfigs on
 * listener.name.<l>.ssl.keystore.location and the like).
 */
import type { BrokerConfig } from '../config/config.js';
import { listenerValue, parseProtocolMap, type ConfigReader, securityProtocolOf, type ListenerSpec } from '../config/listeners.js';
import type { ListenerSetup } from './server.js';
import type { Logger } from '../logger.js';
import { parseMappingRules } from '../security/principal-mapping.js';
import { listenerTls, type ListenerTls } from './tls-config.js';
import { parseJaasConfig, plainUsers } from '../../util/jaas.js';
import { SUPPORTED_MECHANISMS, type SaslListenerConfig } from '../security/sasl/session.js';
import type { ScramCredentialStore } from '../security/scram-store.js';
import { oauthValidator } from '../security/oauth/setup.js';
import { httpGetText } from './http-get.js';

export async function listenerSetups(
  config: BrokerConfig,
  listeners: readonly ListenerSpec[],
  scram: ScramCredentialStore,
  log: Logger,
  systemProperties: ReadonlyMap<string, string> = new Map(),
): Promise<ListenerSetup[]> {
  const map = parseProtocolMap(config.list('listener.security.protocol.map'));
  const out: ListenerSetup[] = [];
  for (const l of listeners) {
    const securityProtocol = securityProtocolOf(l.name, map);
    const v = (key: string): string | null => listenerValue((k) => config.get(k), (k) => config.isSet(k), l.name, key);
    const tls = securityProtocol === 'SSL' || securityProtocol === 'SASL_SSL' ? listenerTls(config, l.name) : null;
    const principalRules = parseMappingRules(v('ssl.principal.mapping.rules') ?? 'DEFAULT');
    let sasl: SaslListenerConfig | null = null;
    if (securityProtocol === 'SASL_PLAINTEXT' || securityProtocol === 'SASL_SSL') {
      const configured = (v('sasl.enabled.mechanisms') ?? '').split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
      const mechanisms = configured.filter((m) => SUPPORTED_MECHANISMS.includes(m));
      const unsupported = configured.filter((m) => !SUPPORTED_MECHANISMS.includes(m));
      if (unsupported.length > 0) log.warn({ listener: l.name, unsupported }, `SASL mechanisms not supported, not offered (supported: ${SUPPORTED_MECHANISMS.join(', ')})`);
      if (mechanisms.length === 0) throw new Error(`listener ${l.name}: sasl.enabled.mechanisms names no supported mechanism (${SUPPORTED_MECHANISMS.join(', ')})`);
      let users = new Map<string, string>();
      if (mechanisms.includes('PLAIN')) {
        const key = `listener.name.${l.name.toLowerCase()}.plain.sasl.jaas.config`;
        const jaas = config.get(key);
        if (jaas === null) throw new Error(`listener ${l.name}: PLAIN is enabled but ${key} is not set`);
        users = plainUsers(parseJaasConfig(jaas));
      }
      const oauth = mechanisms.includes('OAUTHBEARER') ? await oauthValidator(config, l.name, log, systemProperties, httpGetText) : null;
      sasl = {
        oauthValidator: oauth,
        mechanisms,
        plainUsers: users,
        scramCredential: (user, mechanism) => scram.get(user, mechanism),
        maxReceiveSize: config.int('sasl.server.max.receive.size'),
        failedAuthenticationDelayMs: config.int('connection.failed.authentication.delay.ms'),
        maxReauthMs: Number(v('connections.max.reauth.ms') ?? '0'),
      };
    }
    out.push({ ...l, runtime: { name: l.name, securityProtocol, sasl }, tls, principalRules });
  }
  return out;
}

const TLS_KEY = /^listener\.name\.([^.]+)\.ssl\./;

/**
 * The TLS listeners whose certificates a change of dynamic configs touches, rebuilt with the new
 * values; an error message when a new key or trust store cannot be used (nothing is applied then).
 */
export function tlsReloads(reader: ConfigReader, changed: readonly string[], tlsListeners: readonly string[]): Array<{ listener: string; tls: ListenerTls }> | string {
  const names = new Set<string>();
  for (const k of changed) {
    const m = TLS_KEY.exec(k);
    if (m) names.add(m[1]!.toUpperCase());
  }
  const out: Array<{ listener: string; tls: ListenerTls }> = [];
  for (const listener of names) {
    if (!tlsListeners.includes(listener)) continue;
    try {
      out.push({ listener, tls: listenerTls(reader, listener) });
    } catch (err) {
      return `Validation of dynamic config update of SSLFactory failed: ${(err as Error).message}`;
    }
  }
  return out;
}
