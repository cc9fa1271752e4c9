"""kafka-python scenario for scripts/capture-golden.ts.

argv[1]: JSON {"bootstrap", "topic", "group"}. Creates the topic, describes its configs, produces
3 small records, consumes them in a group and commits. Prints one JSON line.
"""
import json
import sys
import time

import kafka
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

args = json.loads(sys.argv[1])
bootstrap, topic, group = args["bootstrap"], args["topic"], args["group"]
out = {"client": kafka.__version__}

admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="golden-kp-admin", request_timeout_ms=20000)
admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1, topic_configs={"retention.ms": "3600000"})])
cfg = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
out["configs"] = {e[0]: e[1] for e in cfg[0].resources[0][4] if e[0] == "retention.ms"}
out["groups_before"] = admin.list_consumer_groups()

producer = KafkaProducer(bootstrap_servers=bootstrap, client_id="golden-kp-producer", linger_ms=5)
futures = [producer.send(topic, key=b"k%d" % i, value=b"v%d" % i, headers=[("h", b"x")]) for i in range(3)]
producer.flush(20)
out["delivered"] = [[f.get(20).partition, f.get(20).offset] for f in futures]
producer.close(5)

consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, client_id="golden-kp-consumer",
                         auto_offset_reset="earliest", enable_auto_commit=False)
got = []
deadline = time.time() + 30
while len(got) < 3 and time.time() < deadline:
    for tp, records in consumer.poll(timeout_ms=500).items():
        for m in records:
            got.append([m.partition, m.offset, m.key.decode(), m.value.decode()])
consumer.commit()
consumer.close()
out["consumed"] = got
out["groups"] = [list(g) for g in admin.describe_consumer_groups([group])]
admin.close()
print(json.dumps(out, default=str))
sys.exit(0 if len(got) == 3 else 1)
