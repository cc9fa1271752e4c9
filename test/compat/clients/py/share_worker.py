"""One worker of a share group (KIP-932) with confluent-kafka-python's ShareConsumer (2.16,
librdkafka 2.16), explicit acknowledgement, for test/share/share-consumer-python.test.ts: the
Python twin of test/java ShareWorker. Polls until "stop" on stdin (or stdin closes, or max_ms),
acknowledges every record and prints one JSON line per poll, flushed before commit_sync:

  {"event":"ready","version":"2.16.1 / librdkafka 2.16.0"}
  {"event":"records","items":[["value","T-P@offset",deliveryCount,"accept|release|reject"],...],"ts":ms}
  {"event":"ack_failed","partition":"T-P","error":"..."}
  {"event":"closed"}

Argument: one JSON object {"bootstrap","group","topic","fail"?: value (acknowledged with
fail_action every time: a poison message),"fail_action"?: "release"|"reject","release_first"?:
bool (every record released once, then accepted),"hang_after"?: N (after N records stop
acknowledging and polling: a stuck worker),"max_ms"?: 120000}.
"""
import json
import sys
import threading
import time

import confluent_kafka
from confluent_kafka import AcknowledgeType, ShareConsumer


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    o = json.loads(sys.argv[1])
    stop = threading.Event()

    def read_stdin():
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop.set()

    threading.Thread(target=read_stdin, daemon=True).start()
    fail = o.get("fail")
    fail_action = AcknowledgeType.REJECT if o.get("fail_action") == "reject" else AcknowledgeType.RELEASE
    release_first = bool(o.get("release_first"))
    hang_after = o.get("hang_after", -1)
    deadline = time.time() + o.get("max_ms", 120_000) / 1000
    c = ShareConsumer({
        "bootstrap.servers": o["bootstrap"],
        "group.id": o["group"],
        "share.acknowledgement.mode": "explicit",
    })
    c.subscribe([o["topic"]])
    v = confluent_kafka.version()  # a string in 2.16 (a tuple in older releases)
    emit({"event": "ready", "version": f"{v[0] if isinstance(v, tuple) else v} / librdkafka {confluent_kafka.libversion()[0]}"})
    released = set()
    seen = 0
    try:
        while time.time() < deadline and not stop.is_set():
            msgs = c.poll(0.2)
            if not msgs:
                continue
            items = []
            for m in msgs:
                if m.error():
                    emit({"event": "error", "error": str(m.error())})
                    continue
                value = m.value().decode() if m.value() is not None else None
                where = f"{m.topic()}-{m.partition()}@{m.offset()}"
                seen += 1
                if 0 <= hang_after < seen:
                    emit({"event": "records", "items": items, "ts": int(time.time() * 1000)})
                    emit({"event": "hung"})
                    while True:
                        time.sleep(3600)
                if fail is not None and value == fail:
                    c.acknowledge(m, fail_action)
                    action = "reject" if fail_action == AcknowledgeType.REJECT else "release"
                elif release_first and where not in released:
                    released.add(where)
                    c.acknowledge(m, AcknowledgeType.RELEASE)
                    action = "release"
                else:
                    c.acknowledge(m, AcknowledgeType.ACCEPT)
                    action = "accept"
                items.append([value, where, m.delivery_count(), action])
            emit({"event": "records", "items": items, "ts": int(time.time() * 1000)})
            for tp, err in (c.commit_sync(10) or {}).items():
                if err is not None:
                    emit({"event": "ack_failed", "partition": f"{tp.topic}-{tp.partition}", "error": str(err)})
    finally:
        c.close()
    emit({"event": "closed"})


if __name__ == "__main__":
    main()
