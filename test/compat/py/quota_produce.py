"""Produces 10 KiB values as fast as librdkafka (confluent-kafka-python) will for `seconds`, as
client.id `client_id`; prints the value bytes acknowledged within that time and the throttle
events librdkafka reported (throttle_cb: it honours throttle_time_ms itself)."""
import json
import sys
import time

from confluent_kafka import Producer

args = json.loads(sys.argv[1])
throttles = []
acked = {"bytes": 0}
deadline = [0.0]


def on_delivery(err, msg):
    if err is None and time.monotonic() <= deadline[0]:
        acked["bytes"] += len(msg.value())


p = Producer({
    "bootstrap.servers": args["bootstrap"],
    "client.id": args["client_id"],
    "acks": 1,
    "linger.ms": 5,
    # Requests of ~100 KiB (librdkafka's default is up to 1 MB): a quota is enforced per request,
    # so one request is the overshoot, and 1 MB would be 17% of a 6 s measurement at 1 MiB/s.
    "batch.num.messages": 10,
    "throttle_cb": lambda e: throttles.append(e.throttle_time * 1000),
})
value = b"x" * 10240
start = time.monotonic()
deadline[0] = start + args["seconds"]
while time.monotonic() < deadline[0]:
    try:
        p.produce(args["topic"], value, on_delivery=on_delivery)
    except BufferError:
        p.poll(0.01)
        continue
    p.poll(0)
p.poll(0)
print(json.dumps({"bytes": acked["bytes"], "seconds": args["seconds"], "throttles": len(throttles), "maxThrottleMs": max(throttles) if throttles else 0}))
sys.stdout.flush()
# Undelivered messages are dropped: the measurement is over.
p.purge()
p.flush(5)
