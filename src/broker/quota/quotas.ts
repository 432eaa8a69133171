/**
 * The broker's client quotas: the configured values (ClientQuotas) and one manager per kind,
 * measured over `quota.window.num` windows of `quota.window.size.seconds`.
 */
import type { BrokerConfig } from '../config/config.js';
import { ClientQuotas, type ClientQuotaPersistence } from './client-quotas.js';
import { CONSUMER_BYTE_RATE, PRODUCER_BYTE_RATE, REQUEST_PERCENTAGE, type StoredClientQuota } from './entity.js';
import { ClientQuotaManager } from './manager.js';
import type { RateWindow } from './rate.js';

export class BrokerQuotas {
  readonly produce: ClientQuotaManager;
  readonly fetch: ClientQuotaManager;
  /** request_percentage: handler time as a percentage of one thread's second. */
  readonly request: ClientQuotaManager;

  constructor(
    readonly clientQuotas: ClientQuotas,
    window: RateWindow,
  ) {
    this.produce = new ClientQuotaManager(PRODUCER_BYTE_RATE, clientQuotas, window);
    this.fetch = new ClientQuotaManager(CONSUMER_BYTE_RATE, clientQuotas, window);
    this.request = new ClientQuotaManager(REQUEST_PERCENTAGE, clientQuotas, window, window.windowMs);
  }

  static fromConfig(config: BrokerConfig, stored: readonly StoredClientQuota[], persistence: ClientQuotaPersistence): BrokerQuotas {
    return new BrokerQuotas(new ClientQuotas(stored, persistence), {
      samples: config.int('quota.window.num'),
      windowMs: config.int('quota.window.size.seconds') * 1000,
    });
  }
}
