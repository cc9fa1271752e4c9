"""confluent-kafka-python (librdkafka) AdminClient scenario: create, list, describe/alter configs,
create partitions, delete. Prints one JSON document with what the client saw."""
import json
import sys
import time

from confluent_kafka import version, libversion
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource

args = json.loads(sys.argv[1])
topic = args["topic"]
admin = AdminClient({"bootstrap.servers": args["bootstrap"]})
out = {"client": version()[0], "librdkafka": libversion()[0]}


def wait(futures):
    result = {}
    for key, fut in futures.items():
        try:
            fut.result(timeout=30)
            result[str(key)] = None
        except Exception as e:  # noqa: BLE001 - report any client error as data
            result[str(key)] = str(e)
    return result


out["create"] = wait(admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1, config={"retention.ms": "3600000", "cleanup.policy": "compact"})]))
out["create_again"] = wait(admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)]))
out["create_bad_rf"] = wait(admin.create_topics([NewTopic(topic + "-rf", num_partitions=1, replication_factor=3)]))

md = admin.list_topics(timeout=10)
out["brokers"] = [{"id": b.id, "host": b.host, "port": b.port} for b in md.brokers.values()]
out["topics"] = {name: len(t.partitions) for name, t in md.topics.items()}


def describe():
    res = ConfigResource("topic", topic)
    configs = admin.describe_configs([res])[res].result(timeout=30)
    return {k: {"value": v.value, "source": v.source, "is_default": v.is_default} for k, v in configs.items()}


out["configs"] = describe()
res = ConfigResource("topic", topic, set_config={"retention.ms": "7200000", "max.message.bytes": "200000"})
out["alter"] = wait(admin.alter_configs([res]))
out["configs_after"] = describe()
bad = ConfigResource("topic", topic, set_config={"retention.ms": "not-a-number"})
out["alter_bad"] = wait(admin.alter_configs([bad]))

broker = ConfigResource("broker", str(out["brokers"][0]["id"]))
bc = admin.describe_configs([broker])[broker].result(timeout=30)
out["broker_configs"] = {k: v.value for k, v in bc.items() if k in ("num.partitions", "log.retention.hours", "message.max.bytes")}

out["partitions"] = wait(admin.create_partitions([NewPartitions(topic, 5)]))
out["partitions_shrink"] = wait(admin.create_partitions([NewPartitions(topic, 2)]))
time.sleep(0.2)
out["partition_count"] = len(admin.list_topics(topic=topic, timeout=10).topics[topic].partitions)

out["delete"] = wait(admin.delete_topics([topic], operation_timeout=30))
out["delete_unknown"] = wait(admin.delete_topics([topic + "-nope"], operation_timeout=30))
out["topics_after"] = sorted(admin.list_topics(timeout=10).topics.keys())
print(json.dumps(out))
