/**
 * ApiVersions v0-v4. Advertises exactly the version ranges the registered handlers declare.
 * A request of a version above 4 never reaches here: the router answers it in v0 format with
 * UNSUPPORTED_VERSION and the ranges (KIP-511), so the client can retry with a version it shares.
 * v3+ also carries the feature flags (broker/features.ts): transaction.version (0..2, finalized 2,
 * so Java 4.x producers use KIP-890's transaction version 2) and group.version (0..1, finalized
 * 1), with a fixed FinalizedFeaturesEpoch.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiVersionsResponse } from '../../protocol/messages/18-api-versions.js';
import { defineHandler } from './handler.js';
import { FEATURES, FINALIZED_FEATURES_EPOCH } from '../features.js';

/** The answer, here and in the router's KIP-511 fallback (there with UNSUPPORTED_VERSION). */
export function apiVersionsResponse(errorCode: number, apiKeys: ApiVersionsResponse['apiKeys']): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys,
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}

export default defineHandler({
  apiKey: 18,
  minVersion: 0,
  maxVersion: 4,
  handle(_req, ctx) {
    const res = apiVersionsResponse(ErrorCode.NONE, ctx.broker.supportedVersions());
    if (ctx.apiVersion < 3) return res;
    return {
      ...res,
      supportedFeatures: FEATURES.map((f) => ({ name: f.name, minVersion: f.minVersion, maxVersion: f.maxVersion })),
      finalizedFeaturesEpoch: FINALIZED_FEATURES_EPOCH,
      finalizedFeatures: FEATURES.map((f) => ({ name: f.name, minVersionLevel: f.finalized, maxVersionLevel: f.finalized })),
    };
  },
});
