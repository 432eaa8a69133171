"""Authorized operations (KIP-430) as clients see them, on a broker without an authorizer: every
operation that applies to the resource type (Kafka's AclEntry.supportedOperations), never ANY or
ALL. The sets are what Apache Kafka 4.3.1 answers:
  - cluster: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE
  - topic:   READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS
  - group:   READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS
confluent-kafka (librdkafka) asks through DescribeCluster, Metadata and the group describe APIs;
kafka-python 3.x also through Metadata v8-v10, the only versions that carry the cluster's set."""
import json
import os

from confluent_kafka import ConsumerGroupTopicPartitions, TopicCollection, TopicPartition
from confluent_kafka.admin import AclOperation

import spec
from conftest import HERE, VENV_KP3, require_file, run_client
from test_confluent_kafka import T, create_topic

CLUSTER = {"CREATE", "ALTER", "DESCRIBE", "CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE"}
TOPIC = {"READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"}
GROUP = {"READ", "DELETE", "DESCRIBE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"}


def names(ops):
    return {op.name for op in ops} if ops is not None else None


def codes(names_):
    return sorted(AclOperation[n].value for n in names_)


def with_committed_group(admin, topic):
    """A classic group that exists without members: one committed offset."""
    group = "interop-authz-" + topic
    done = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0, 0)])],
                                              request_timeout=T)
    done[group].result(timeout=T)
    return group


def test_confluent_kafka_sees_every_operation_of_the_resource_type(bootstrap):
    topic = spec.topic_name("authz")
    admin = create_topic(bootstrap, topic)

    cluster = admin.describe_cluster(include_authorized_operations=True, request_timeout=T).result(timeout=T)
    assert names(cluster.authorized_operations) == CLUSTER
    plain = admin.describe_cluster(request_timeout=T).result(timeout=T)
    assert plain.authorized_operations is None  # not asked for

    described = admin.describe_topics(TopicCollection([topic]), include_authorized_operations=True,
                                      request_timeout=T)[topic].result(timeout=T)
    assert names(described.authorized_operations) == TOPIC

    group = with_committed_group(admin, topic)
    g = admin.describe_consumer_groups([group], include_authorized_operations=True,
                                       request_timeout=T)[group].result(timeout=T)
    assert names(g.authorized_operations) == GROUP


def test_kafka_python_metadata_v8_to_v10_carries_the_cluster_operations(bootstrap):
    require_file(VENV_KP3, "run scripts/install-interop.sh python")
    topic = spec.topic_name("authz-kp3")
    admin = create_topic(bootstrap, topic)
    group = with_committed_group(admin, topic)
    res = run_client([VENV_KP3, os.path.join(HERE, "py", "authorized_operations_kp3.py"), bootstrap, topic, group])
    got = json.loads(res.stdout.splitlines()[0])
    for v in ("8", "9", "10"):
        assert sorted(got["metadata"][v]["cluster"]) == codes(CLUSTER), "Metadata v%s cluster" % v
        assert got["metadata"][v]["topics"] == [[topic, 0, codes(TOPIC)]], "Metadata v%s topic" % v
    assert set(got["describe_cluster"]) == CLUSTER
    assert got["describe_groups"] == [None, sorted(GROUP, key=lambda n: AclOperation[n].value)]
