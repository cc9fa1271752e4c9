"""One member of a consumer group on the new protocol (KIP-848, 'group.protocol': 'consumer') with
confluent-kafka-python, for the consumer-group tests. Same JSON lines as the Java GroupMember:

  {"event": "ready"}
  {"event": "assigned", "partitions": ["T-0", ...], "ts": ms}   partitions added (incremental)
  {"event": "revoked", "partitions": [...], "ts": ms}            after committing what was processed
  {"event": "lost", "partitions": [...], "ts": ms}
  {"event": "records", "values": [...], "ts": ms}                printed before the commit
  {"event": "commit_failed", "error": "..."}
  {"event": "closed"}

Args (JSON): bootstrap, group, topic or pattern (a regex: librdkafka subscribes with "^..."),
client_id, run_s. Stops cleanly (close: leaves the group) on SIGTERM, "stop" on stdin or after run_s.
"""
import json
import signal
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

args = json.loads(sys.argv[1])
stop = False


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def on_term(_sig, _frame):
    global stop
    stop = True


def watch_stdin():
    global stop
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    stop = True


signal.signal(signal.SIGTERM, on_term)
threading.Thread(target=watch_stdin, daemon=True).start()
deadline = time.time() + args.get("run_s", 600)
now_ms = lambda: int(time.time() * 1000)
names = lambda ps: sorted(f"{p.topic}-{p.partition}" for p in ps)

c = Consumer({
    "bootstrap.servers": args["bootstrap"],
    "group.id": args["group"],
    "group.protocol": "consumer",
    "client.id": args.get("client_id", "ck-member"),
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
})
processed = {}


def on_assign(consumer, partitions):
    if partitions:
        out({"event": "assigned", "partitions": names(partitions), "ts": now_ms()})


def on_revoke(consumer, partitions):
    mine = [TopicPartition(p.topic, p.partition, processed.pop((p.topic, p.partition))) for p in partitions if (p.topic, p.partition) in processed]
    if mine:
        try:
            consumer.commit(offsets=mine, asynchronous=False)
        except KafkaException as e:
            out({"event": "commit_failed", "error": str(e)})
    if partitions:
        out({"event": "revoked", "partitions": names(partitions), "ts": now_ms()})


def on_lost(consumer, partitions):
    for p in partitions:
        processed.pop((p.topic, p.partition), None)
    if partitions:
        out({"event": "lost", "partitions": names(partitions), "ts": now_ms()})


topics = [args["pattern"]] if args.get("pattern") else [args["topic"]]
c.subscribe(topics, on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
out({"event": "ready"})
while not stop and time.time() < deadline:
    msgs = c.consume(num_messages=500, timeout=0.2)
    values = []
    where = []
    for m in msgs:
        if m.error():
            continue
        values.append(m.value().decode())
        where.append(f"{m.topic()}-{m.partition()}@{m.offset()}")
        processed[(m.topic(), m.partition())] = m.offset() + 1
    if not values:
        continue
    out({"event": "records", "values": values, "where": where, "ts": now_ms()})
    try:
        c.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in processed.items()], asynchronous=False)
        processed.clear()
    except KafkaException as e:
        out({"event": "commit_failed", "error": str(e)})
c.close()
out({"event": "closed"})
