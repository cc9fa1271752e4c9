"""A Faust worker that aggregates orders into tables backed by changelog topics, for
test/streams/faust.test.ts (and the bench, bench/faust-agent.ts).

The `orders` topic carries str keys and JSON `Order` values (the issue's example). One agent keeps,
per key, count/sum/min/max:
  - `totals`:   a plain table                       (changelog `<app id>-totals-changelog`)
  - `tumbling`: 10 s tumbling windows of event time (`<app id>-tumbling-changelog`)
  - `hopping`:  10 s windows every 5 s              (`<app id>-hopping-changelog`)
  - `raw_counts`: a plain count per key with no de-duplication (see below).

Faust's guarantee is at-least-once by default: after a crash the records since the last committed
offset are processed again, and their table updates are applied again. So the aggregates here are
idempotent by design: each Stats value carries `last_id`, the highest `sales_id` folded into it, in
the same changelog record as the aggregate, and an order whose sales_id is not above it is a replay
and skipped (sales_id grows per key: one key stays in one partition, in order). `raw_counts` has no
such guard: it may count a replayed record twice (>= the true count). Faust 0.15.3's
processing_guarantee=exactly_once does not change that after a crash (docs/streams-faust.md).

Configured by environment: BROKER (kafka://host:port), TOPIC (default `orders`; it must exist, with
PARTITIONS partitions, default 4, as the changelogs get), APP_ID, DATADIR, SNAPSHOT (a JSON file
this worker rewrites every 200 ms with its tables, its assigned partitions and how many orders it
processed), GUARANTEE (at_least_once | exactly_once), SESSION_TIMEOUT (s), STANDBYS, COMMIT_EVERY.
Run: python -m faust -A orders_tables worker --without-web -l warn
"""
import json
import os
import time
from datetime import timedelta

import faust

app = faust.App(
    os.environ.get("APP_ID", "orders-tables"),
    broker=os.environ.get("BROKER", "kafka://127.0.0.1:9092"),
    store="memory://",
    datadir=os.environ.get("DATADIR", "/tmp/faust-orders-tables"),
    processing_guarantee=os.environ.get("GUARANTEE", "at_least_once"),
    topic_partitions=int(os.environ.get("PARTITIONS", "4")),
    topic_replication_factor=1,
    table_standby_replicas=int(os.environ.get("STANDBYS", "1")),
    broker_commit_every=int(os.environ.get("COMMIT_EVERY", "100")),
    # A killed worker's membership lapses after this (Faust's default is 60 s), so that a restarted
    # worker's JoinGroup completes sooner; Runnel's group.min.session.timeout.ms is Kafka's 6 s.
    broker_session_timeout=float(os.environ.get("SESSION_TIMEOUT", "60")),
    broker_heartbeat_interval=1.0,
    web_enabled=False,
)


class Order(faust.Record):
    sales_id: int
    sales_amt: float


class Stats(faust.Record):
    count: int = 0
    sum: float = 0.0
    min: float = None
    max: float = None
    last_id: int = -1


def fold(stats: Stats, order: Order) -> Stats:
    """The aggregate step: a replayed order (sales_id not above last_id) leaves it unchanged."""
    if order.sales_id <= stats.last_id:
        return stats
    amt = order.sales_amt
    return Stats(
        count=stats.count + 1,
        sum=stats.sum + amt,
        min=amt if stats.min is None else min(stats.min, amt),
        max=amt if stats.max is None else max(stats.max, amt),
        last_id=order.sales_id,
    )


# A standby replica (the other worker's copy of a partition's table) applies the changelog in
# batches of this many records; Faust's default (recovery_buffer_size, 1000) leaves a standby up to
# 1000 updates behind, which a takeover then replays from the changelog. 1 keeps it current.
STANDBY_BUFFER = int(os.environ.get("STANDBY_BUFFER", "1"))
orders_topic = app.topic(os.environ.get("TOPIC", "orders"), key_type=str, value_type=Order)
totals = app.Table("totals", default=Stats, key_type=str, value_type=Stats, standby_buffer_size=STANDBY_BUFFER)
tumbling = (
    app.Table("tumbling", default=Stats, key_type=str, value_type=Stats, standby_buffer_size=STANDBY_BUFFER)
    .tumbling(10.0, expires=timedelta(days=1))
    .relative_to_stream()
)
hopping = (
    app.Table("hopping", default=Stats, key_type=str, value_type=Stats, standby_buffer_size=STANDBY_BUFFER)
    .hopping(10.0, 5.0, expires=timedelta(days=1))
    .relative_to_stream()
)
raw_counts = app.Table("raw_counts", default=int, key_type=str, value_type=int, standby_buffer_size=STANDBY_BUFFER)

processed = 0


@app.agent(orders_topic)
async def aggregate(orders: faust.Stream):
    global processed
    async for key, order in orders.items():
        totals[key] = fold(totals[key], order)
        tumbling[key].apply(fold, order)
        hopping[key].apply(fold, order)
        raw_counts[key] += 1
        processed += 1


def stats_json(s: Stats) -> list:
    return [s.count, s.sum, s.min, s.max]


@app.timer(interval=0.2)
async def snapshot() -> None:
    """What this worker holds, for the test to compare with the totals it computed itself."""
    path = os.environ.get("SNAPSHOT")
    if not path:
        return
    actives = sorted(tp.partition for tp in app.assignor.assigned_actives() if tp.topic == orders_topic.get_topic_name())
    doc = {
        "pid": os.getpid(),
        "time": time.time(),
        "processed": processed,
        "actives": actives,
        "totals": {k: stats_json(v) for k, v in totals.data.items()},
        # Windowed keys are (key, (start, end)); start is in seconds of event time.
        "tumbling": {f"{k}@{int(w[0])}": stats_json(v) for (k, w), v in tumbling.table.data.items()},
        "hopping": {f"{k}@{int(w[0])}": stats_json(v) for (k, w), v in hopping.table.data.items()},
        "raw_counts": dict(raw_counts.data.items()),
    }
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)
