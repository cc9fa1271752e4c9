"""confluent-kafka-python (librdkafka) transactions. Argument: JSON {bootstrap, topic, scenario, idPrefix}.

scenario "basic": a transactional producer commits `commit` records, aborts `abort` records, commits
`commit` more; a consume-transform-produce step reads them read_committed with a group and sends
the offsets to a transaction (send_offsets_to_transaction); then read_committed and
read_uncommitted consumers count what they see.
scenario "fence": producer A opens a transaction and writes; producer B with the same
transactional.id initialises (fencing A and aborting its transaction), A's commit fails, B commits.
Prints one JSON document."""
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

args = json.loads(sys.argv[1])
bootstrap, topic = args["bootstrap"], args["topic"]
prefix = args.get("idPrefix", "ck")
out = {"librdkafka": confluent_kafka.libversion()[0]}


def producer(txn_id):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id, "transaction.timeout.ms": 30000})
    p.init_transactions(30)
    return p


def caught_up(c):
    """Every assigned partition read to its end offset (for read_committed, its last stable offset
    once no transaction is open): nothing more can arrive, so no need to wait out `idle`."""
    assigned = c.assignment()
    if not assigned:
        return False
    for tp in c.position(assigned):
        _, high = c.get_watermark_offsets(tp, timeout=5, cached=False)
        if tp.offset < 0 or tp.offset < high:
            return False
    return True


def read_all(isolation, expect, idle=3.0, group=None):
    conf = {"bootstrap.servers": bootstrap, "group.id": group or ("reader-%s-%f" % (isolation, time.time())), "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "isolation.level": isolation}
    c = Consumer(conf)
    c.subscribe([topic])
    values = []
    last = time.time()
    deadline = time.time() + 40
    while time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            # Past `expect`, wait for more records (there must be none) until the end offsets are
            # reached, or `idle` seconds pass without one.
            if len(values) >= expect and (time.time() - last > idle or caught_up(c)):
                break
            continue
        if m.error():
            continue
        values.append(m.value().decode())
        last = time.time()
    c.close()
    return values


if args["scenario"] == "basic":
    n = args.get("commit", 50)
    p = producer(prefix + "-basic")
    p.begin_transaction()
    for i in range(n):
        p.produce(topic, key=b"k%d" % i, value=b"committed-a-%d" % i)
    p.commit_transaction(30)
    p.begin_transaction()
    for i in range(args.get("abort", 30)):
        p.produce(topic, key=b"k%d" % i, value=b"aborted-%d" % i)
    p.flush(30)
    p.abort_transaction(30)
    p.begin_transaction()
    for i in range(n):
        p.produce(topic, key=b"k%d" % i, value=b"committed-b-%d" % i)
    p.commit_transaction(30)

    # Consume-transform-produce: copy the committed records to <topic>-out, offsets in the transaction.
    group = prefix + "-ctp"
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "isolation.level": "read_committed"})
    c.subscribe([topic])
    copied = 0
    deadline = time.time() + 40
    while copied < 2 * n and time.time() < deadline:
        msgs = c.consume(100, 1.0)
        msgs = [m for m in msgs if not m.error()]
        if not msgs:
            continue
        p.begin_transaction()
        for m in msgs:
            p.produce(topic + "-out", key=m.key(), value=b"out-" + m.value())
        positions = {}
        for m in msgs:
            positions[(m.topic(), m.partition())] = m.offset() + 1
        p.send_offsets_to_transaction([TopicPartition(t, part, off) for (t, part), off in positions.items()], c.consumer_group_metadata(), 30)
        p.commit_transaction(30)
        copied += len(msgs)
    committed = c.committed([TopicPartition(topic, i) for i in range(args.get("partitions", 1))], 10)
    c.close()
    out["copied"] = copied
    out["committedOffsets"] = {str(tp.partition): tp.offset for tp in committed}
    out["readCommitted"] = read_all("read_committed", 2 * n)
    out["readUncommitted"] = read_all("read_uncommitted", 2 * n + args.get("abort", 30))
elif args["scenario"] == "fence":
    a = producer(prefix + "-fence")
    a.begin_transaction()
    for i in range(5):
        a.produce(topic, value=b"zombie-%d" % i)
    a.flush(30)
    b = producer(prefix + "-fence")
    try:
        a.commit_transaction(15)
        out["zombieCommit"] = "succeeded"
    except KafkaException as e:
        err = e.args[0]
        out["zombieCommit"] = {"name": err.name(), "fatal": err.fatal(), "str": err.str()}
    b.begin_transaction()
    for i in range(3):
        b.produce(topic, value=b"winner-%d" % i)
    b.commit_transaction(30)
    out["readCommitted"] = read_all("read_committed", 3)
print(json.dumps(out))
