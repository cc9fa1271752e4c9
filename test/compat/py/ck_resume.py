"""confluent-kafka-python (librdkafka): optionally produce, then consume up to `max` records of
`topic` with group `group` from its committed offsets (earliest without), commit and print the
offsets consumed. Used around a broker restart: librdkafka >= 2.1 validates the committed
position with OffsetForLeaderEpoch (KIP-320) before fetching; 2.0.2 does not."""
import json
import sys

import confluent_kafka
from confluent_kafka import Consumer, Producer

args = json.loads(sys.argv[1])
bootstrap, topic = args["bootstrap"], args["topic"]
if args.get("produce"):
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for i in range(args["produce"]):
        p.produce(topic, value=("v%d" % i).encode())
    p.flush(30)
c = Consumer({"bootstrap.servers": bootstrap, "group.id": args["group"], "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic])
offsets = []
while len(offsets) < args["max"]:
    m = c.poll(15)
    if m is None:
        break
    if m.error():
        continue
    offsets.append(m.offset())
c.commit(asynchronous=False)
c.close()
print(json.dumps({"librdkafka": confluent_kafka.libversion()[0], "offsets": offsets}))
