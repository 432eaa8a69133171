/**
 * ApiVersions v0-v4. Advertises exactly the version ranges the registered handlers declare.
 * A request of a version above 4 never reaches here: the router answers it in v0 format with
 * UNSUPPORTED_VERSION and the ranges (KIP-511), so the client can retry with a version it shares.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiVersionsResponse } from '../../protocol/messages/18-api-versions.js';
import { defineHandler } from './handler.js';

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
    return apiVersionsResponse(ErrorCode.NONE, ctx.broker.supportedVersions());
  },
});
