"""Data-path driver for confluent-kafka-python (librdkafka) and kafka-python: produce generated
records, consume partitions by assignment (no consumer group) into a TSV dump, or time a
produce/consume run for the benchmarks. Prints one JSON document (the last stdout line).

    dp_clients.py '{"op": "produce", "client": "ck"|"kp", "bootstrap": "h:p", "topic": "t", ...}'

Records are generated exactly as bench/data-path/clients.ts generates them (record i):
    key    k<i % keyMod>          (null when keyMod is 0)
    value  <prefix>-<i>           (padded with 'x' to valueSize when given)
    headers i=<i>, src=<prefix>   (unless headers is false)
    timestamp tsBase + i          (when tsBase is given; else the client's clock)

produce args: count, keyMod, prefix, valueSize, headers, tsBase, compression, acks, idempotence,
  config (extra client config), partition (fixed partition), flushEvery, sync (wait for each ack)
  -> {"acked", "errors": [first 10 error strings], "elapsed"}
consume args: partitions (count) or assign [[p, offset], ...], offset ("earliest"|"latest"|n),
  reset (auto.offset.reset), expect (stop after that many records), idleMs, timeoutMs, out (path of
  the TSV dump; omitted: no dump), config
  -> {"count", "elapsed", "positions": {p: next offset}, "errors"}
offsets_for_times args: partitions, timestamp -> {"offsets": {p: offset (ck; -1 none) or [offset,
  timestamp] (kp; null none)}}
Dump lines: topic, partition, offset, timestamp, timestamp type (0 create, 1 log append), key,
value, headers as k=v joined by ',' — tab separated; '\\N' for a null key or value.
"""
import json
import sys
import time

args = json.loads(sys.argv[1])
client = args["client"]
op = args["op"]
bootstrap = args["bootstrap"]
topic = args["topic"]


def gen(i, key_mod, prefix, value_size, with_headers, ts_base):
    key = None if key_mod == 0 else ("k%d" % (i % key_mod)).encode()
    value = ("%s-%d" % (prefix, i)).encode()
    if value_size and len(value) < value_size:
        value = value + b"x" * (value_size - len(value))
    headers = [("i", str(i).encode()), ("src", prefix.encode())] if with_headers else None
    ts = None if ts_base is None else ts_base + i
    return key, value, headers, ts


def s(b):
    return "\\N" if b is None else b.decode("utf-8", "replace")


def fmt_headers(hs):
    if not hs:
        return ""
    return ",".join("%s=%s" % (k, "" if v is None else v.decode("utf-8", "replace")) for k, v in hs)


def produce_ck():
    from confluent_kafka import Producer

    conf = {
        "bootstrap.servers": bootstrap,
        "partitioner": "murmur2_random",
        "acks": str(args.get("acks", -1)),
        "linger.ms": args.get("lingerMs", 5),
        "queue.buffering.max.messages": 1000000,
        "queue.buffering.max.kbytes": 1048576,
        "compression.type": args.get("compression", "none"),
        "enable.idempotence": bool(args.get("idempotence", False)),
        "message.timeout.ms": args.get("timeoutMs", 60000),
    }
    conf.update(args.get("config", {}))
    p = Producer(conf)
    state = {"acked": 0, "errors": [], "offsets": []}
    want_offsets = bool(args.get("offsets", False))

    def dr(err, msg):
        if err is not None:
            if len(state["errors"]) < 10:
                state["errors"].append(err.name() + ": " + err.str())
        else:
            state["acked"] += 1
            if want_offsets:
                state["offsets"].append([msg.partition(), msg.offset()])

    count = args["count"]
    key_mod = args.get("keyMod", 0)
    prefix = args.get("prefix", "ck")
    vsize = args.get("valueSize", 0)
    hdrs = args.get("headers", True)
    ts_base = args.get("tsBase")
    part = args.get("partition")
    sync = args.get("sync", False)
    t0 = time.time()
    for i in range(count):
        key, value, headers, ts = gen(i, key_mod, prefix, vsize, hdrs, ts_base)
        kw = {"value": value, "on_delivery": dr}
        if key is not None:
            kw["key"] = key
        if headers is not None:
            kw["headers"] = headers
        if ts is not None:
            kw["timestamp"] = ts
        if part is not None:
            kw["partition"] = part
        while True:
            try:
                p.produce(topic, **kw)
                break
            except BufferError:
                p.poll(0.01)
        if sync:
            p.flush(30)
        elif i % 1000 == 0:
            p.poll(0)
    left = p.flush(args.get("timeoutMs", 60000) / 1000.0)
    out = {"acked": state["acked"], "errors": state["errors"], "unflushed": left, "elapsed": time.time() - t0}
    if want_offsets:
        out["offsets"] = state["offsets"]
    return out


def produce_kp():
    from kafka import KafkaProducer

    acks = args.get("acks", -1)
    conf = dict(
        bootstrap_servers=bootstrap,
        acks="all" if acks == -1 else acks,
        linger_ms=args.get("lingerMs", 5),
        compression_type=None if args.get("compression", "none") == "none" else args["compression"],
        batch_size=args.get("batchSize", 65536),
        max_request_size=args.get("maxRequestSize", 1048576),
        retries=args.get("retries", 5),
        request_timeout_ms=args.get("timeoutMs", 30000),
    )
    conf.update(args.get("config", {}))
    p = KafkaProducer(**conf)
    count = args["count"]
    key_mod = args.get("keyMod", 0)
    prefix = args.get("prefix", "kp")
    vsize = args.get("valueSize", 0)
    hdrs = args.get("headers", True)
    ts_base = args.get("tsBase")
    part = args.get("partition")
    sync = args.get("sync", False)
    state = {"acked": 0, "errors": []}
    want_offsets = bool(args.get("offsets", False))
    offsets = []

    def ok(md):
        state["acked"] += 1
        if want_offsets:
            offsets.append([md.partition, md.offset])

    def bad(e):
        if len(state["errors"]) < 10:
            state["errors"].append(type(e).__name__ + ": " + str(e))

    t0 = time.time()
    for i in range(count):
        key, value, headers, ts = gen(i, key_mod, prefix, vsize, hdrs, ts_base)
        try:
            f = p.send(topic, key=key, value=value, headers=headers or [], timestamp_ms=ts, partition=part)
        except Exception as e:  # noqa: BLE001 - e.g. MessageSizeTooLargeError raised client-side
            bad(e)
            continue
        f.add_callback(ok)
        f.add_errback(bad)
        if sync:
            try:
                f.get(timeout=30)
            except Exception:  # noqa: BLE001 - recorded by the errback
                pass
    p.flush(timeout=args.get("timeoutMs", 60000) / 1000.0)
    p.close(timeout=5)
    out = {"acked": state["acked"], "errors": state["errors"], "elapsed": time.time() - t0}
    if want_offsets:
        out["offsets"] = offsets
    return out


def assignment():
    if "assign" in args:
        return [(p, o) for p, o in args["assign"]]
    off = args.get("offset", "earliest")
    return [(p, off) for p in range(args.get("partitions", 1))]


def consume_ck(dump):
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, OFFSET_END, TIMESTAMP_LOG_APPEND_TIME

    conf = {
        "bootstrap.servers": bootstrap,
        # confluent-kafka-python 1.7 insists on a group id; no group API is used with assign().
        "group.id": args.get("group", "dp-assign"),
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": args.get("reset", "earliest"),
        "fetch.wait.max.ms": 100,
        "log_level": 3,
    }
    conf.update(args.get("config", {}))
    c = Consumer(conf)
    tps = []
    for p, o in assignment():
        off = OFFSET_BEGINNING if o == "earliest" else OFFSET_END if o == "latest" else int(o)
        tps.append(TopicPartition(topic, p, off))
    c.assign(tps)
    expect = args.get("expect")
    idle = args.get("idleMs", 2000) / 1000.0
    deadline = time.time() + args.get("timeoutMs", 60000) / 1000.0
    count = 0
    errors = []
    positions = {}
    last = time.time()
    t0 = None
    while time.time() < deadline and (expect is None or count < expect):
        msgs = c.consume(10000, timeout=0.2)
        if not msgs:
            if (count > 0 or expect is None) and time.time() - last > idle:
                break
            continue
        for m in msgs:
            if m.error() is not None:
                if not m.error().code() == -191 and len(errors) < 10:  # -191: partition EOF
                    errors.append(m.error().name())
                continue
            if t0 is None:
                t0 = time.time()
            count += 1
            last = time.time()
            positions[m.partition()] = m.offset() + 1
            if dump is not None:
                ts_type, ts = m.timestamp()
                dump.write("%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n" % (m.topic(), m.partition(), m.offset(), ts, 1 if ts_type == TIMESTAMP_LOG_APPEND_TIME else 0, s(m.key()), s(m.value()), fmt_headers(m.headers())))
    pos = {}
    for tp in c.position([TopicPartition(topic, p) for p, _ in assignment()]):
        pos[str(tp.partition)] = tp.offset
    c.close()
    return {"count": count, "errors": errors, "positions": pos, "elapsed": (time.time() - t0) if t0 else 0}


def consume_kp(dump):
    from kafka import KafkaConsumer, TopicPartition

    conf = dict(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset=args.get("reset", "earliest"),
        fetch_max_wait_ms=100,
        max_poll_records=10000,
        max_partition_fetch_bytes=1048576,
    )
    conf.update(args.get("config", {}))
    c = KafkaConsumer(**conf)
    asg = assignment()
    tps = [TopicPartition(topic, p) for p, _ in asg]
    c.assign(tps)
    for (p, o), tp in zip(asg, tps):
        if o == "earliest":
            c.seek_to_beginning(tp)
        elif o == "latest":
            c.seek_to_end(tp)
        else:
            c.seek(tp, int(o))
    expect = args.get("expect")
    idle = args.get("idleMs", 2000) / 1000.0
    deadline = time.time() + args.get("timeoutMs", 60000) / 1000.0
    count = 0
    last = time.time()
    t0 = None
    while time.time() < deadline and (expect is None or count < expect):
        batch = c.poll(timeout_ms=200)
        if not batch:
            if (count > 0 or expect is None) and time.time() - last > idle:
                break
            continue
        for tp, recs in batch.items():
            for m in recs:
                if t0 is None:
                    t0 = time.time()
                count += 1
                last = time.time()
                if dump is not None:
                    dump.write("%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n" % (m.topic, m.partition, m.offset, m.timestamp, m.timestamp_type, s(m.key), s(m.value), fmt_headers(m.headers)))
    pos = {str(tp.partition): c.position(tp) for tp in tps}
    c.close()
    return {"count": count, "errors": [], "positions": pos, "elapsed": (time.time() - t0) if t0 else 0}


def offsets_for_times():
    ts = args["timestamp"]
    parts = range(args.get("partitions", 1))
    out = {}
    if client == "ck":
        from confluent_kafka import Consumer, TopicPartition

        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "dp-times", "enable.auto.commit": False, "log_level": 3})
        for tp in c.offsets_for_times([TopicPartition(topic, p, ts) for p in parts], timeout=20):
            out[str(tp.partition)] = tp.offset
        c.close()
    else:
        from kafka import KafkaConsumer, TopicPartition

        c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
        res = c.offsets_for_times({TopicPartition(topic, p): ts for p in parts})
        for tp, v in res.items():
            out[str(tp.partition)] = None if v is None else [v.offset, v.timestamp]
        c.close()
    return {"offsets": out}


if op == "produce":
    result = produce_ck() if client == "ck" else produce_kp()
elif op == "consume":
    out_path = args.get("out")
    dump = open(out_path, "w") if out_path else None
    try:
        result = consume_ck(dump) if client == "ck" else consume_kp(dump)
    finally:
        if dump is not None:
            dump.close()
elif op == "offsets_for_times":
    result = offsets_for_times()
else:
    raise SystemExit("unknown op " + op)
print(json.dumps(result))
