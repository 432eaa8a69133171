"""kafka-python 3.x: Metadata v8, v9 and v10 (the versions that carry the cluster's authorized
operations; v11 dropped the field) pinned, asking for the cluster's and the topic's operations,
and the admin client's describe_cluster and describe_groups with authorized operations.
Prints one JSON object and OK.

usage: authorized_operations_kp3.py <bootstrap> <topic> <group>
"""
import json
import sys

from kafka import KafkaAdminClient
from kafka.protocol.metadata import MetadataRequest

bootstrap, topic, group = sys.argv[1:4]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
out = {"metadata": {}}
Topic = MetadataRequest.MetadataRequestTopic
for v in (8, 9, 10):
    req = MetadataRequest(topics=[Topic(name=topic)], allow_auto_topic_creation=False,
                          include_cluster_authorized_operations=True, include_topic_authorized_operations=True,
                          min_version=v, max_version=v)
    # the admin client's own connection manager sends it (its public API picks the newest version)
    d = admin._manager.run(admin._manager.send, req).to_dict()
    out["metadata"][v] = {
        "cluster": d["authorized_operations"],
        "topics": [[t["name"], t["error_code"], t["authorized_operations"]] for t in d["topics"]],
    }
out["describe_cluster"] = admin.describe_cluster()["authorized_operations"]
g = admin.describe_groups([group], include_authorized_operations=True)[group]
out["describe_groups"] = [g["error"], g["authorized_operations"]]
admin.close()
print(json.dumps(out))
print("OK")
