"""Avro orders through Runnel's schema registry: the agent reads Confluent-Avro `Order` values
(written by any Confluent serializer), keeps a running total per key in a table, and writes an
Avro `OrderTotal` per order to `order_totals_avro` (ConfluentAvroCodec, avro_codec.py).

Environment: BROKER (kafka://host:port), REGISTRY (http://host:port), APP_ID, DATADIR, SNAPSHOT
(a JSON file rewritten every 200 ms with the table and the count of orders processed),
PARTITIONS (of orders_avro, default 2).
Run: python -m faust -A orders_avro worker --without-web -l warn
"""
import json
import os

import faust
from faust.serializers import codecs

from avro_codec import ConfluentAvroCodec

REGISTRY = os.environ.get("REGISTRY", "http://127.0.0.1:8081")

ORDER_SCHEMA = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "sales_id", "type": "long"},
        {"name": "sales_amt", "type": "double"},
    ],
}
ORDER_TOTAL_SCHEMA = {
    "type": "record",
    "name": "OrderTotal",
    "namespace": "shop",
    "fields": [
        {"name": "key", "type": "string"},
        {"name": "count", "type": "long"},
        {"name": "total", "type": "double"},
        {"name": "last_sales_id", "type": "long"},
    ],
}
codecs.register("avro_order", ConfluentAvroCodec(REGISTRY, "orders_avro-value", ORDER_SCHEMA))
codecs.register("avro_order_total", ConfluentAvroCodec(REGISTRY, "order_totals_avro-value", ORDER_TOTAL_SCHEMA))

app = faust.App(
    os.environ.get("APP_ID", "orders-avro"),
    broker=os.environ.get("BROKER", "kafka://127.0.0.1:9092"),
    store="memory://",
    datadir=os.environ.get("DATADIR", "/tmp/faust-orders-avro"),
    # Changelogs get as many partitions as orders_avro has (the test creates it with 2).
    topic_partitions=int(os.environ.get("PARTITIONS", "2")),
    topic_replication_factor=1,
    web_enabled=False,
)


class Order(faust.Record):
    sales_id: int
    sales_amt: float


class OrderTotal(faust.Record):
    key: str
    count: int
    total: float
    last_sales_id: int


orders = app.topic("orders_avro", key_type=str, value_type=Order, value_serializer="avro_order")
totals_topic = app.topic("order_totals_avro", key_type=str, value_type=OrderTotal, value_serializer="avro_order_total")
counts = app.Table("avro_counts", default=int)
sums = app.Table("avro_sums", default=float)
processed = 0


@app.agent(orders)
async def total_orders(stream: faust.Stream):
    global processed
    async for key, order in stream.items():
        counts[key] += 1
        sums[key] += order.sales_amt
        processed += 1
        await totals_topic.send(
            key=key,
            value=OrderTotal(key=key, count=counts[key], total=sums[key], last_sales_id=order.sales_id),
        )


@app.timer(interval=0.2)
async def snapshot() -> None:
    path = os.environ.get("SNAPSHOT")
    if not path:
        return
    doc = {"processed": processed, "counts": dict(counts.data.items()), "sums": dict(sums.data.items())}
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f)
    os.replace(path + ".tmp", path)
