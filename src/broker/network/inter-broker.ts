/**
 * How this broker reaches the others (replica fetches, AlterPartition and ControlledShutdown to
 * the controller, WriteTxnMarkers, AddPartitionsToTxn verification): over the inter-broker
 * listener, with that listener's security, as Kafka does:
 *
 *  - the listener is `inter.broker.listener.name`, or the listener named after
 *    `security.inter.broker.protocol` (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL); setting both is
 *    an error, as in Kafka. With neither set, the first listener (Kafka would take PLAINTEXT);
 *  - each broker registers every advertised listener in etcd, and a peer is reached at its
 *    endpoint of that listener name;
 *  - TLS (SSL, SASL_SSL) uses the listener's own key store (presented to the peer, for mTLS) and
 *    trust store; the peer's host name is verified unless
 *    `ssl.endpoint.identification.algorithm` is empty;
 *  - SASL logs in with `sasl.mechanism.inter.broker.protocol` and the username and password of
 *    `listener.name.<l>.<mechanism>.sasl.jaas.config` (PlainLoginModule or ScramLoginModule),
 *    as the broker's own login.
 *
 * The principal the broker authenticates as needs CLUSTER_ACTION on the cluster (or to be in
 * super.users) when an authorizer is on: replica fetches, AlterPartition and WriteTxnMarkers
 * are refused otherwise.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { BrokerConfig } from '../config/config.js';
import { listenerValue, parseProtocolMap, securityProtocolOf, type ListenerSpec, type SecurityProtocol } from '../config/listeners.js';
import { listenerTls } from './tls-config.js';
import { parseJaasConfig } from '../../util/jaas.js';
import type { PasswordMechanism, SaslOptions } from '../../client/sasl.js';

export interface InterBrokerSecurity {
  /** The listener name peers are reached on. */
  listener: string;
  securityProtocol: SecurityProtocol;
  ssl?: TlsConnectionOptions;
  sasl?: SaslOptions;
}

const CLIENT_MECHANISMS: readonly PasswordMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** The inter-broker listener's name; throws with Kafka's complaint when the keys disagree or name no listener. */
export function interBrokerListenerName(config: BrokerConfig, listeners: readonly ListenerSpec[]): string {
  const named = config.isSet('inter.broker.listener.name') ? (config.get('inter.broker.listener.name') ?? '').trim().toUpperCase() : '';
  const protocol = config.isSet('security.inter.broker.protocol') ? (config.get('security.inter.broker.protocol') ?? '').trim().toUpperCase() : '';
  if (named !== '' && protocol !== '') throw new Error('Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.');
  const name = named || protocol || listeners[0]!.name;
  if (!listeners.some((l) => l.name === name)) {
    throw new Error(`inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${listeners.map((l) => l.name).join(',')} (inter-broker listener: ${name})`);
  }
  return name;
}

/** What a connection to a peer needs: TLS options and the broker's own SASL login, from the listener's keys. */
export function interBrokerSecurity(config: BrokerConfig, listener: string): InterBrokerSecurity {
  const securityProtocol = securityProtocolOf(listener, parseProtocolMap(config.list('listener.security.protocol.map')));
  const out: InterBrokerSecurity = { listener, securityProtocol };
  if (securityProtocol === 'SSL' || securityProtocol === 'SASL_SSL') {
    const ssl: TlsConnectionOptions = { ...listenerTls(config, listener).context };
    const algorithm = listenerValue((k) => config.get(k), (k) => config.isSet(k), listener, 'ssl.endpoint.identification.algorithm');
    if (algorithm === '') ssl.checkServerIdentity = () => undefined;
    out.ssl = ssl;
  }
  if (securityProtocol === 'SASL_PLAINTEXT' || securityProtocol === 'SASL_SSL') {
    const mechanism = (config.get('sasl.mechanism.inter.broker.protocol') ?? 'GSSAPI').trim().toUpperCase();
    const m = CLIENT_MECHANISMS.find((x) => x === mechanism);
    if (!m) throw new Error(`sasl.mechanism.inter.broker.protocol ${mechanism}: the inter-broker listener ${listener} is ${securityProtocol}; set sasl.mechanism.inter.broker.protocol to one of ${CLIENT_MECHANISMS.join(', ')}`);
    const key = `listener.name.${listener.toLowerCase()}.${m.toLowerCase()}.sasl.jaas.config`;
    const jaas = config.get(key);
    if (jaas === null) throw new Error(`the inter-broker listener ${listener} logs in with ${m}: set ${key} with the broker's username and password`);
    const options = parseJaasConfig(jaas)[0]!.options;
    const username = options.get('username');
    const password = options.get('password');
    if (username === undefined || password === undefined) throw new Error(`${key} must set username and password (the broker's own login on the inter-broker listener)`);
    out.sasl = { mechanism: m, username, password };
  }
  return out;
}
