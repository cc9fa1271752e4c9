"""TLS smoke for a Python client (confluent-kafka or kafka-python, by argv): produce N records,
consume them in a group, commit, read the commit back. Prints one JSON line.
argv[1]: JSON {client, bootstrap, topic, group, count, conf}; conf holds the client's TLS settings."""
import json, sys, time

args = json.loads(sys.argv[1])
out = {"produced": 0, "consumed": 0, "committed": None, "error": None}
try:
    if args["client"] == "confluent":
        from confluent_kafka import Producer, Consumer, TopicPartition
        base = {"bootstrap.servers": args["bootstrap"], **args["conf"]}
        p = Producer({**base, "acks": "all"})
        for i in range(args["count"]):
            p.produce(args["topic"], key=b"k%d" % i, value=b"v%d" % i, partition=0)
        left = p.flush(30)
        out["produced"] = args["count"] - left
        c = Consumer({**base, "group.id": args["group"], "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe([args["topic"]])
        deadline = time.time() + 40
        while out["consumed"] < args["count"] and time.time() < deadline:
            m = c.poll(1.0)
            if m is None:
                continue
            if m.error():
                out["error"] = str(m.error())
                break
            out["consumed"] += 1
        c.commit(asynchronous=False)
        out["committed"] = c.committed([TopicPartition(args["topic"], 0)], timeout=10)[0].offset
        c.close()
    else:
        from kafka import KafkaProducer, KafkaConsumer, TopicPartition
        conf = args["conf"]
        p = KafkaProducer(bootstrap_servers=args["bootstrap"], acks="all", **conf)
        fs = [p.send(args["topic"], key=b"k%d" % i, value=b"v%d" % i, partition=0) for i in range(args["count"])]
        for f in fs:
            f.get(timeout=30)
            out["produced"] += 1
        p.close()
        c = KafkaConsumer(args["topic"], bootstrap_servers=args["bootstrap"], group_id=args["group"], auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=20000, **conf)
        for m in c:
            out["consumed"] += 1
            if out["consumed"] >= args["count"]:
                break
        c.commit()
        out["committed"] = c.committed(TopicPartition(args["topic"], 0))
        c.close()
except Exception as e:  # noqa: BLE001 - reported to the test
    out["error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(out))
