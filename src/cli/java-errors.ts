/**
 * How Kafka's Java tools print a broker's error: the exception class the Java client raises for
 * the error code, then its message (`org.apache.kafka.common.errors.XException: message`). The
 * class name follows from the code's name; these are the codes whose class is named otherwise.
 */
import type { KafkaProtocolError } from '../protocol/kafka-error.js';

const PACKAGE = 'org.apache.kafka.common.errors';

const SPECIAL: Readonly<Record<string, string>> = {
  UNKNOWN_SERVER_ERROR: 'UnknownServerException',
  NOT_LEADER_OR_FOLLOWER: 'NotLeaderOrFollowerException',
  REQUEST_TIMED_OUT: 'TimeoutException',
  NETWORK_EXCEPTION: 'NetworkException',
  INVALID_TOPIC_EXCEPTION: 'InvalidTopicException',
  TOPIC_AUTHORIZATION_FAILED: 'TopicAuthorizationException',
  GROUP_AUTHORIZATION_FAILED: 'GroupAuthorizationException',
  CLUSTER_AUTHORIZATION_FAILED: 'ClusterAuthorizationException',
  TOPIC_ALREADY_EXISTS: 'TopicExistsException',
  INVALID_REPLICATION_FACTOR: 'InvalidReplicationFactorException',
  POLICY_VIOLATION: 'PolicyViolationException',
  KAFKA_STORAGE_ERROR: 'KafkaStorageException',
};

function camel(name: string): string {
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** The fully qualified Java exception class for an error (by its protocol name). */
export function javaExceptionClass(errorName: string): string {
  return `${PACKAGE}.${SPECIAL[errorName] ?? `${camel(errorName)}Exception`}`;
}

/** Throwable.toString() of the exception the Java client would raise for this error. */
export function javaErrorString(err: KafkaProtocolError): string {
  return `${javaExceptionClass(err.errorName)}: ${err.message}`;
}
