"""confluent-kafka-python (librdkafka) producing to every partition of a topic in turn until "stop"
arrives on stdin (or stdin closes, or maxMs passes), one record every intervalMs, reporting what was
acknowledged for each record: the replication acceptance test (test/cluster/clients.test.ts) holds
that against the partitions' logs. Values are "<prefix>-p<partition>-<seq>" (seq counts the records
sent to that partition), so each partition is one lane whose acknowledged records must appear in
send order (an idempotent producer keeps it).

    ck_lanes.py '{"bootstrap": "h:p", "topic": "t", "partitions": 3, "prefix": "ck",
                  "intervalMs": 10, "maxMs": 600000, "config": {...}}'

config is added to the producer's (default: enable.idempotence true, acks all).
While running, every 500 ms: {"event": "progress", "sent", "acked", "failed"}. At the end (after a
flush): {"sent", "acked", "failed", "errors": [first 10], "attempts": [values in send order],
"acks": [[value, partition, offset, seq], ...], "version"}.
"""
import json
import sys
import threading
import time

from confluent_kafka import Producer, libversion

args = json.loads(sys.argv[1])
stop = threading.Event()


def read_stdin():
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    stop.set()


threading.Thread(target=read_stdin, daemon=True).start()

conf = {"bootstrap.servers": args["bootstrap"], "enable.idempotence": True, "acks": "all"}
conf.update(args.get("config", {}))
producer = Producer(conf)
topic = args["topic"]
partitions = args["partitions"]
prefix = args.get("prefix", "ck")
interval = args.get("intervalMs", 10) / 1000.0
deadline = time.time() + args.get("maxMs", 600000) / 1000.0

attempts = []
acks = []
errors = []
counts = {"acked": 0, "failed": 0}
seqs = [0] * partitions


def on_delivery(seq):
    def cb(err, msg):
        if err is None:
            counts["acked"] += 1
            acks.append([msg.value().decode(), msg.partition(), msg.offset(), seq])
        else:
            counts["failed"] += 1
            if len(errors) < 10:
                errors.append(str(err))
    return cb


def progress():
    print(json.dumps({"event": "progress", "sent": len(attempts), "acked": counts["acked"], "failed": counts["failed"]}), flush=True)


i = 0
next_progress = 0.0
while not stop.is_set() and time.time() < deadline:
    p = i % partitions
    i += 1
    seq = seqs[p]
    seqs[p] += 1
    value = "%s-p%d-%d" % (prefix, p, seq)
    attempts.append(value)
    while True:
        try:
            producer.produce(topic, value=value.encode(), partition=p, on_delivery=on_delivery(seq))
            break
        except BufferError:
            producer.poll(0.1)  # the local queue is full (a long failover): wait for deliveries
    producer.poll(0)
    now = time.time()
    if now >= next_progress:
        progress()
        next_progress = now + 0.5
    time.sleep(interval)

left = producer.flush(180)
progress()
print(json.dumps({
    "sent": len(attempts), "acked": counts["acked"], "failed": counts["failed"], "unflushed": left, "errors": errors,
    "attempts": attempts, "acks": acks, "version": "librdkafka %s" % libversion()[0],
}))
