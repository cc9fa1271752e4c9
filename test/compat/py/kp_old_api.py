"""kafka-python 2.0.2 (Debian 12's python3-kafka) pinned to an old api_version: the request
versions it then sends are ones Kafka 4.0 removed (KIP-896). (0, 8, 1): Produce v0 (message
format v0), Fetch v0, OffsetCommit v0 / OffsetFetch v0; (0, 8, 2): the same with OffsetCommit v1 /
OffsetFetch v1; (0, 10, 1): Produce v2 (message format v1), Fetch v3, a group (JoinGroup v1).

  mode "produce": sends `count` values prefix+i round robin over `partitions` (optionally gzip).
  mode "consume": consumes `count` records of the topic in group `group` (assigned partitions
    before 0.9, subscribed from 0.9 on) starting at the committed offsets, commits them, prints
    the committed offsets it started from and what it read.
"""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

a = json.loads(sys.argv[1])
api = tuple(a["api"])
out = {}
if a["mode"] == "produce":
    p = KafkaProducer(bootstrap_servers=a["bootstrap"], api_version=api, acks="all",
                      compression_type=a.get("compression"), linger_ms=20)
    futures = [p.send(a["topic"], value=("%s%d" % (a["prefix"], i)).encode(), partition=i % a["partitions"])
               for i in range(a["count"])]
    out["produced"] = [f.get(timeout=20).offset for f in futures]
    p.close()
else:
    group_mode = api >= (0, 9)
    c = KafkaConsumer(bootstrap_servers=a["bootstrap"], api_version=api, group_id=a["group"],
                      enable_auto_commit=False, auto_offset_reset="earliest", consumer_timeout_ms=20000)
    tps = [TopicPartition(a["topic"], p) for p in range(a["partitions"])]
    if group_mode:
        c.subscribe([a["topic"]])
    else:
        c.assign(tps)
    out["committed"] = {str(tp.partition): c.committed(tp) for tp in tps}
    out["consumed"] = []
    deadline = time.time() + 30
    while len(out["consumed"]) < a["count"] and time.time() < deadline:
        for tp, msgs in c.poll(timeout_ms=500).items():
            for m in msgs:
                if len(out["consumed"]) < a["count"]:
                    out["consumed"].append({"p": m.partition, "o": m.offset, "v": m.value.decode()})
                    c.commit({tp: __import__("kafka").OffsetAndMetadata(m.offset + 1, "")})
    c.close(autocommit=False)
print(json.dumps(out))
