// Cross-checks the generated codecs against two independent, hand-written client codecs:
// @platformatic/kafka (flexible versions) and KafkaJS (classic versions). Our requests must be
// the bytes they send, and our responses must parse with their decoders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Reader as PReader, metadataV12, findCoordinatorV6, apiVersionsV4, produceV11 } from '@platformatic/kafka';
import { Reader, Writer, ZERO_UUID, apiCodecs, ApiKey } from '../../src/protocol/index.js';

const require = createRequire(import.meta.url);
type KjsRequest = (args: Record<string, unknown>) => { encode: () => Promise<{ buffer: Buffer }> };
type KjsResponse = { decode: (b: Buffer) => Promise<unknown> };
const kjs = (p: string): unknown => require(`kafkajs/src/protocol/requests/${p}`);

const enc = <T>(f: (w: Writer, m: T, v: number) => void, m: T, v: number): Buffer => {
  const w = new Writer();
  f(w, m, v);
  return w.toBuffer();
};

test('platformatic: MetadataRequest v12 and FindCoordinatorRequest v6 bytes match', () => {
  const ours = enc(
    apiCodecs[ApiKey.Metadata].encodeRequest,
    {
      topics: [
        { topicId: ZERO_UUID, name: 'a' },
        { topicId: ZERO_UUID, name: 'topic-b' },
      ],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: true,
    },
    12,
  );
  assert.deepStrictEqual(ours, metadataV12.createRequest(['a', 'topic-b'], true, true).buffer);
  const fc = enc(apiCodecs[ApiKey.FindCoordinator].encodeRequest, { key: '', keyType: 1, coordinatorKeys: ['g1', 'g2'] }, 6);
  assert.deepStrictEqual(fc, findCoordinatorV6.createRequest(1, ['g1', 'g2']).buffer);
});

test('platformatic: our flexible responses parse with its decoders', () => {
  const av = enc(
    apiCodecs[ApiKey.ApiVersions].encodeResponse,
    {
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: 3, maxVersion: 11 },
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
      ],
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    },
    4,
  );
  const pav = apiVersionsV4.parseResponse(1, 18, 4, PReader.from(av)) as { apiKeys: Array<{ apiKey: number; maxVersion: number }> };
  assert.deepEqual(
    pav.apiKeys.map((k) => [k.apiKey, k.maxVersion]),
    [
      [0, 11],
      [18, 4],
    ],
  );

  const md = enc(
    apiCodecs[ApiKey.Metadata].encodeResponse,
    {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'c1',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 't',
          topicId: '0123456789abcdef0123456789abcdef'.replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5'),
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 0,
              replicaNodes: [1],
              isrNodes: [1],
              offlineReplicas: [],
            },
          ],
          topicAuthorizedOperations: -2147483648,
        },
      ],
      clusterAuthorizedOperations: -2147483648,
      errorCode: 0,
    },
    12,
  );
  const pmd = metadataV12.parseResponse(1, 3, 12, PReader.from(md)) as {
    brokers: Array<{ host: string; port: number }>;
    clusterId: string;
    topics: Array<{ name: string; topicId: string; partitions: Array<{ leaderId: number; isrNodes: number[] }> }>;
  };
  assert.equal(pmd.clusterId, 'c1');
  assert.equal(pmd.brokers[0]!.host, 'localhost');
  assert.equal(pmd.topics[0]!.name, 't');
  assert.equal(pmd.topics[0]!.topicId, '01234567-89ab-cdef-0123-456789abcdef');
  assert.deepEqual(pmd.topics[0]!.partitions[0]!.isrNodes, [1]);

  const pr = enc(
    apiCodecs[ApiKey.Produce].encodeResponse,
    {
      responses: [
        {
          name: 't',
          topicId: ZERO_UUID,
          partitionResponses: [
            {
              index: 0,
              errorCode: 0,
              baseOffset: 42n,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
              recordErrors: [],
              errorMessage: null,
              currentLeader: { leaderId: -1, leaderEpoch: -1 },
            },
          ],
        },
      ],
      throttleTimeMs: 0,
      nodeEndpoints: [],
    },
    11,
  );
  const ppr = produceV11.parseResponse(1, 0, 11, PReader.from(pr)) as {
    responses: Array<{ partitionResponses: Array<{ baseOffset: bigint }> }>;
  };
  assert.equal(ppr.responses[0]!.partitionResponses[0]!.baseOffset, 42n);
});

test('KafkaJS: classic requests match and our responses decode', async () => {
  const mdReq = kjs('metadata/v4/request.js') as KjsRequest;
  const ours = enc(
    apiCodecs[ApiKey.Metadata].encodeRequest,
    {
      topics: [{ topicId: ZERO_UUID, name: 'x' }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    },
    4,
  );
  assert.deepStrictEqual(ours, (await mdReq({ topics: ['x'], allowAutoTopicCreation: false }).encode()).buffer);

  const avResp = kjs('apiVersions/v0/response.js') as KjsResponse;
  const av = enc(
    apiCodecs[ApiKey.ApiVersions].encodeResponse,
    {
      errorCode: 0,
      apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 12 }],
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    },
    0,
  );
  assert.deepEqual(await avResp.decode(av), { errorCode: 0, apiVersions: [{ apiKey: 3, minVersion: 0, maxVersion: 12 }] });

  const prResp = kjs('produce/v3/response.js') as KjsResponse;
  const pr = enc(
    apiCodecs[ApiKey.Produce].encodeResponse,
    {
      responses: [
        {
          name: 't',
          topicId: ZERO_UUID,
          partitionResponses: [
            {
              index: 2,
              errorCode: 0,
              baseOffset: 7n,
              logAppendTimeMs: -1n,
              logStartOffset: -1n,
              recordErrors: [],
              errorMessage: null,
              currentLeader: { leaderId: -1, leaderEpoch: -1 },
            },
          ],
        },
      ],
      throttleTimeMs: 5,
      nodeEndpoints: [],
    },
    3,
  );
  assert.deepEqual(await prResp.decode(pr), {
    topics: [{ topicName: 't', partitions: [{ partition: 2, errorCode: 0, baseOffset: '7', logAppendTime: '-1' }] }],
    throttleTime: 5,
  });
});
