"""Data-path benchmark driver for confluent-kafka-python (librdkafka), used by bench/data-path.
Prints one JSON document (the last stdout line).

    dp_bench.py '{"op": "produce", "bootstrap": "h:p", "topic": "t", "count": N, "size": B, "config": {...}}'
        -> {"elapsed", "acked", "errors"}: produce() N values of B bytes (one shared buffer), then flush
    dp_bench.py '{"op": "consume", "bootstrap": "h:p", "topic": "t", "partitions": P, "count": N, "config": {...}}'
        -> {"elapsed", "count", "bytes"}: assign every partition from the beginning, consume N records
    dp_bench.py '{"op": "sequential", "bootstrap": "h:p", "topic": "t", "count": N, "size": B}'
        -> {"elapsed"}: N records one at a time, acks=all, waiting for each delivery report
    dp_bench.py '{"op": "latency_produce", "bootstrap": "h:p", "topic": "t", "rate": R, "seconds": S, "size": B}'
        -> {"sent"}: values start with time.time_ns() as 20 digits, paced at R/s in 1 ms ticks
    dp_bench.py '{"op": "latency_consume", "bootstrap": "h:p", "topic": "t", "count": N, "out": path}'
        -> {"count"}: writes one end-to-end latency in microseconds per line to `out`
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING, OFFSET_END

args = json.loads(sys.argv[1])
op = args["op"]
bootstrap = args["bootstrap"]
topic = args["topic"]


def producer(extra):
    conf = {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "linger.ms": 10,
        "batch.size": 1000000,
        "batch.num.messages": 100000,
        "queue.buffering.max.messages": 2000000,
        "queue.buffering.max.kbytes": 2097151,
    }
    conf.update(extra)
    return Producer(conf)


def consumer(extra):
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": "dp-bench",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "fetch.message.max.bytes": 4194304,
        "fetch.max.bytes": 67108864,
        "queued.max.messages.kbytes": 262144,
        "fetch.wait.max.ms": 100,
        "log_level": 3,
    }
    conf.update(extra)
    return Consumer(conf)


if op == "produce":
    p = producer(args.get("config", {}))
    value = b"v" * args["size"]
    state = {"acked": 0, "errors": 0}

    def dr(err, msg):
        if err is None:
            state["acked"] += 1
        else:
            state["errors"] += 1

    t0 = time.time()
    produce = p.produce
    for i in range(args["count"]):
        try:
            produce(topic, value, callback=dr)
        except BufferError:
            p.poll(0.001)
            produce(topic, value, callback=dr)
        if i & 4095 == 0:
            p.poll(0)
    p.flush(120)
    elapsed = time.time() - t0
    print(json.dumps({"elapsed": elapsed, "acked": state["acked"], "errors": state["errors"]}))

elif op == "consume":
    c = consumer(args.get("config", {}))
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(args["partitions"])])
    want = args["count"]
    n = 0
    nbytes = 0
    t0 = time.time()
    deadline = t0 + args.get("timeout", 300)
    while n < want and time.time() < deadline:
        for m in c.consume(10000, timeout=0.5):
            if m.error() is None:
                n += 1
                nbytes += len(m.value())
    elapsed = time.time() - t0
    c.close()
    print(json.dumps({"elapsed": elapsed, "count": n, "bytes": nbytes}))

elif op == "sequential":
    p = producer({"linger.ms": 0, "acks": "all"})
    value = b"s" * args["size"]
    p.produce(topic, value, partition=0)  # warm up: metadata and connection
    p.flush(30)
    errors = []

    def dr(err, msg):
        if err is not None:
            errors.append(str(err))

    t0 = time.time()
    for i in range(args["count"]):
        p.produce(topic, value, partition=0, callback=dr)
        p.flush(30)
    elapsed = time.time() - t0
    print(json.dumps({"elapsed": elapsed, "errors": errors[:5]}))

elif op == "latency_produce":
    p = producer({"linger.ms": 0, "acks": args.get("acks", "all")})
    rate = args["rate"]
    pad = b"p" * max(0, args.get("size", 100) - 20)
    per_tick = rate / 1000.0
    total = int(rate * args["seconds"])
    p.produce(topic, b"0" * 20 + pad, partition=0)
    p.flush(30)
    time.sleep(0.5)  # let the consumer settle at the end of the partition
    start = time.time()
    sent = 0
    owed = 0.0
    tick = 0
    while sent < total:
        tick += 1
        owed += per_tick
        while owed >= 1 and sent < total:
            p.produce(topic, b"%020d" % time.time_ns() + pad, partition=0)
            owed -= 1
            sent += 1
        p.poll(0)
        delay = start + tick / 1000.0 - time.time()
        if delay > 0:
            time.sleep(delay)
    p.flush(30)
    print(json.dumps({"sent": sent, "elapsed": time.time() - start}))

elif op == "latency_consume":
    c = consumer({"fetch.wait.max.ms": 500, "fetch.min.bytes": 1})
    c.assign([TopicPartition(topic, 0, OFFSET_END)])
    want = args["count"]
    out = open(args["out"], "w")
    n = 0
    deadline = time.time() + args.get("timeout", 120)
    # poll() hands over each record as soon as it is there (consume(n) would wait for n records).
    while n < want and time.time() < deadline:
        m = c.poll(0.2)
        if m is None or m.error() is not None:
            continue
        now = time.time_ns()
        sent = int(m.value()[:20])
        if sent == 0:
            continue
        out.write("%d\n" % ((now - sent) // 1000))
        n += 1
    out.close()
    c.close()
    print(json.dumps({"count": n}))
else:
    raise SystemExit("unknown op " + op)
