"""confluent-kafka-python (librdkafka) scenario for scripts/capture-golden.ts.

argv[1]: JSON {"bootstrap", "topic", "group"}. Creates the topic, describes its configs, produces
3 small records, consumes them in a group and commits. Prints one JSON line.
"""
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

args = json.loads(sys.argv[1])
bootstrap, topic, group = args["bootstrap"], args["topic"], args["group"]
out = {"client": confluent_kafka.version()[0], "librdkafka": confluent_kafka.libversion()[0]}

admin = AdminClient({"bootstrap.servers": bootstrap, "client.id": "golden-ck-admin"})
for t, f in admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1, config={"retention.ms": "3600000"})]).items():
    f.result(20)
for r, f in admin.describe_configs([ConfigResource("topic", topic)]).items():
    out["retention.ms"] = f.result(20)["retention.ms"].value
md = admin.list_topics(timeout=20)
out["partitions"] = len(md.topics[topic].partitions)

producer = Producer({"bootstrap.servers": bootstrap, "client.id": "golden-ck-producer", "linger.ms": 5})
delivered = []
for i in range(3):
    producer.produce(topic, key=b"k%d" % i, value=b"v%d" % i, headers=[("h", b"x")],
                     on_delivery=lambda err, msg: delivered.append((err is None, msg.partition(), msg.offset())))
producer.flush(20)
out["delivered"] = delivered

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "golden-ck-consumer",
                     "auto.offset.reset": "earliest", "enable.auto.commit": False})
consumer.subscribe([topic])
got = []
deadline = time.time() + 30
while len(got) < 3 and time.time() < deadline:
    m = consumer.poll(0.5)
    if m is None or m.error():
        continue
    got.append([m.partition(), m.offset(), m.key().decode(), m.value().decode()])
consumer.commit(asynchronous=False)
consumer.close()
out["consumed"] = got
print(json.dumps(out))
sys.exit(0 if len(got) == 3 else 1)
