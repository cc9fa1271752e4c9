"""kafka-python KafkaAdminClient scenario: create, list, describe configs, delete."""
import json
import sys

import kafka
from kafka.admin import KafkaAdminClient, NewTopic, ConfigResource, ConfigResourceType
from kafka.errors import KafkaError

args = json.loads(sys.argv[1])
topic = args["topic"]
admin = KafkaAdminClient(bootstrap_servers=args["bootstrap"], client_id="kp-admin", request_timeout_ms=20000)
out = {"client": kafka.__version__}

res = admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1, topic_configs={"segment.bytes": "1048576"})])
out["create"] = [[t[0], t[1]] for t in res.topic_errors]
try:
    admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
    out["create_again"] = None
except KafkaError as e:
    out["create_again"] = type(e).__name__

out["topics"] = sorted(admin.list_topics())
desc = admin.describe_topics([topic])
out["describe"] = [{"topic": d["topic"], "partitions": len(d["partitions"]), "error": d["error_code"]} for d in desc]
cfg = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
entries = cfg[0].resources[0][4]
out["configs"] = {e[0]: e[1] for e in entries if e[0] in ("segment.bytes", "retention.ms", "cleanup.policy")}
res = admin.delete_topics([topic])
out["delete"] = [[t[0], t[1]] for t in res.topic_error_codes]
out["topics_after"] = sorted(admin.list_topics())
admin.close()
print(json.dumps(out))
