"""One consumer-group member, with confluent-kafka-python (librdkafka) or kafka-python, for the
group tests. Prints one JSON line per event on stdout (flushed at once, since the test may kill
the process at any moment):

  {"event": "assigned", "partitions": [0, 2]}      after every rebalance (the full assignment)
  {"event": "record", "p": 0, "o": 12, "v": "..."} each record, printed before its offset is
                                                   committed synchronously
  {"event": "commit_failed", "p": 0, "o": 12, "error": "..."}
  {"event": "ready"}                               subscribed, polling

Args (JSON): client ("ck" | "kp"), bootstrap, group, topic, session_ms, heartbeat_ms,
strategy ("range" | "roundrobin"), client_id, instance_id (optional), run_s (stop after).
It stops cleanly (close → LeaveGroup) on SIGTERM or after run_s.
"""
import json
import signal
import sys
import time

args = json.loads(sys.argv[1])
stop = False


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def on_term(_sig, _frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
deadline = time.time() + args.get("run_s", 120)


def run_ck():
    from confluent_kafka import Consumer, TopicPartition, KafkaException

    conf = {
        "bootstrap.servers": args["bootstrap"],
        "group.id": args["group"],
        "client.id": args.get("client_id", "ck-member"),
        "session.timeout.ms": args.get("session_ms", 6000),
        "heartbeat.interval.ms": args.get("heartbeat_ms", 1000),
        "partition.assignment.strategy": args.get("strategy", "range"),
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    }
    if args.get("instance_id"):
        conf["group.instance.id"] = args["instance_id"]
    c = Consumer(conf)

    def on_assign(consumer, partitions):
        out({"event": "assigned", "partitions": sorted(p.partition for p in partitions)})

    def on_revoke(consumer, partitions):
        out({"event": "revoked", "partitions": sorted(p.partition for p in partitions)})

    c.subscribe([args["topic"]], on_assign=on_assign, on_revoke=on_revoke)
    out({"event": "ready"})
    while not stop and time.time() < deadline:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        out({"event": "record", "p": m.partition(), "o": m.offset(), "v": m.value().decode()})
        try:
            c.commit(offsets=[TopicPartition(m.topic(), m.partition(), m.offset() + 1)], asynchronous=False)
        except KafkaException as e:
            out({"event": "commit_failed", "p": m.partition(), "o": m.offset(), "error": str(e)})
    c.close()
    out({"event": "closed"})


def run_kp():
    from kafka import KafkaConsumer, TopicPartition, OffsetAndMetadata
    from kafka.consumer.subscription_state import ConsumerRebalanceListener
    from kafka.errors import KafkaError

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            out({"event": "revoked", "partitions": sorted(p.partition for p in revoked)})

        def on_partitions_assigned(self, assigned):
            out({"event": "assigned", "partitions": sorted(p.partition for p in assigned)})

    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

    strategy = RoundRobinPartitionAssignor if args.get("strategy") == "roundrobin" else RangePartitionAssignor
    c = KafkaConsumer(
        bootstrap_servers=args["bootstrap"],
        group_id=args["group"],
        client_id=args.get("client_id", "kp-member"),
        session_timeout_ms=args.get("session_ms", 6000),
        heartbeat_interval_ms=args.get("heartbeat_ms", 1000),
        partition_assignment_strategy=[strategy],
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    c.subscribe([args["topic"]], listener=Listener())
    out({"event": "ready"})
    while not stop and time.time() < deadline:
        batch = c.poll(timeout_ms=200)
        for tp, records in batch.items():
            for m in records:
                out({"event": "record", "p": m.partition, "o": m.offset, "v": m.value.decode()})
                try:
                    c.commit({tp: OffsetAndMetadata(m.offset + 1, None)})
                except KafkaError as e:
                    out({"event": "commit_failed", "p": m.partition, "o": m.offset, "error": type(e).__name__})
    c.close()
    out({"event": "closed"})


if args["client"] == "ck":
    run_ck()
else:
    run_kp()
