"""The issue's Faust agent, exactly as users write it (docs/streams-faust.md shows this file; the
test test/streams/faust.test.ts runs it against Runnel and checks every sales_id is printed).

Run: BROKER=kafka://127.0.0.1:9092 python -m faust -A orders_agent worker -l warn
"""
import os

import faust

app = faust.App(
    "orders-agent",
    broker=os.environ.get("BROKER", "kafka://127.0.0.1:9092"),
    store="memory://",
    datadir=os.environ.get("DATADIR", "/tmp/faust-orders-agent"),
    web_enabled=False,
)


class Order(faust.Record):
    sales_id: int
    sales_amt: float


@app.agent(app.topic('orders', key_type=str, value_type=Order))
async def proc_order(orders: faust.Stream):
    async for order in orders:
        print(order.sales_id)
