/**
 * ApiVersions v0-v4. Advertises exactly the version ranges the registered handlers declare.
 * A request of a version above 4 never reaches here: the router answers it in v0 format with
 * UNSUPPORTED_VERSION and the ranges (KIP-511), so the client can retry with a version it shares.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 18,
  minVersion: 0,
  maxVersion: 4,
  handle(_req, ctx) {
    return {
      errorCode: ErrorCode.NONE,
      apiKeys: ctx.broker.supportedVersions(),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
  },
});
