"""The Faust agent bench/faust/agent-throughput.ts measures: one agent folding JSON orders into one
table (count and sum per key, backed by its changelog topic). It notes the monotonic time at which
it had processed a tenth of RECORDS (`warm`: past start-up, the first fetches and, in exactly-once
mode, the first transactions) and at the last order; the throughput is the orders in between over
that time.

Environment: BROKER (kafka://host:port), TOPIC, APP_ID, DATADIR, SNAPSHOT (JSON rewritten every
200 ms: processed, warm, last), RECORDS, GUARANTEE (at_least_once | exactly_once), PARTITIONS.
"""
import json
import os
import time

import faust

app = faust.App(
    os.environ["APP_ID"],
    broker=os.environ["BROKER"],
    store="memory://",
    datadir=os.environ["DATADIR"],
    processing_guarantee=os.environ.get("GUARANTEE", "at_least_once"),
    topic_partitions=int(os.environ.get("PARTITIONS", "4")),
    topic_replication_factor=1,
    web_enabled=False,
)


class Order(faust.Record):
    sales_id: int
    sales_amt: float


totals = app.Table("totals", default=float)
counts = app.Table("counts", default=int)
WARM_AT = max(1, int(os.environ.get("RECORDS", "10000")) // 10)
state = {"processed": 0, "warm": None, "last": None}


@app.agent(app.topic(os.environ["TOPIC"], key_type=str, value_type=Order))
async def fold(orders: faust.Stream):
    async for key, order in orders.items():
        counts[key] += 1
        totals[key] += order.sales_amt
        state["processed"] += 1
        state["last"] = time.monotonic()
        if state["processed"] == WARM_AT:
            state["warm"] = state["last"]


@app.timer(interval=0.2)
async def snapshot() -> None:
    path = os.environ["SNAPSHOT"]
    with open(path + ".tmp", "w") as f:
        json.dump({**state, "counts": sum(counts.data.values())}, f)
    os.replace(path + ".tmp", path)
