"""confluent-kafka-python's schema registry client and Avro serdes against Runnel's registry:
register through AvroSerializer (auto.register.schemas), produce with SerializingProducer, consume
with DeserializingConsumer + AvroDeserializer, then an incompatible evolution (409) and a
compatible one (new version). Needs fastavro and requests next to Debian's confluent_kafka.
Prints one JSON document with what the client saw.

    schema_ck.py '{"bootstrap": "h:p", "registry": "http://h:p", "topic": "t", "count": N}'
"""
import json
import sys

from confluent_kafka import DeserializingConsumer, SerializingProducer, version
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import StringDeserializer, StringSerializer

args = json.loads(sys.argv[1])
topic = args["topic"]
subject = topic + "-value"
count = args["count"]
out = {"client": version()[0]}

V1 = {
    "type": "record",
    "name": "Payment",
    "namespace": "py",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "amount", "type": "double"},
        {"name": "currency", "type": {"type": "enum", "name": "Currency", "symbols": ["EUR", "USD"]}},
    ],
}
V2 = dict(V1, fields=V1["fields"] + [{"name": "memo", "type": ["null", "string"], "default": None}])
BAD = dict(V1, fields=V1["fields"] + [{"name": "payer", "type": "string"}])

client = SchemaRegistryClient({"url": args["registry"]})
serializer = AvroSerializer(client, json.dumps(V1), conf={"auto.register.schemas": True})
producer = SerializingProducer({
    "bootstrap.servers": args["bootstrap"],
    "key.serializer": StringSerializer("utf_8"),
    "value.serializer": serializer,
    "enable.idempotence": True,
})
errors = []


def report(err, msg):
    if err is not None:
        errors.append(str(err))


for i in range(count):
    producer.produce(topic, key=str(i), value={"id": i, "amount": i * 0.25, "currency": "EUR" if i % 2 == 0 else "USD"}, on_delivery=report)
    producer.poll(0)
producer.flush(30)
out["produce_errors"] = errors

latest = client.get_latest_version(subject)
out["registered"] = {"id": latest.schema_id, "version": latest.version, "subjects": client.get_subjects()}

consumer = DeserializingConsumer({
    "bootstrap.servers": args["bootstrap"],
    "group.id": "schema-ck",
    "auto.offset.reset": "earliest",
    "key.deserializer": StringDeserializer("utf_8"),
    "value.deserializer": AvroDeserializer(client),
})
consumer.subscribe([topic])
values = []
idle = 0
while len(values) < count and idle < 20:
    msg = consumer.poll(1.0)
    if msg is None:
        idle += 1
        continue
    if msg.error():
        out.setdefault("consume_errors", []).append(str(msg.error()))
        continue
    values.append(msg.value())
consumer.close()
out["consumed"] = len(values)
out["first"] = values[0] if values else None
out["last"] = values[-1] if values else None

try:
    client.register_schema(subject, Schema(json.dumps(BAD), "AVRO"))
    out["incompatible"] = None
except SchemaRegistryError as e:
    out["incompatible"] = {"status": e.http_status_code, "code": e.error_code, "message": e.error_message}

out["compatible_id"] = client.register_schema(subject, Schema(json.dumps(V2), "AVRO"))
v2 = client.get_latest_version(subject)
out["compatible"] = {"id": v2.schema_id, "version": v2.version}
out["lookup_v1"] = client.lookup_schema(subject, Schema(json.dumps(V1, indent=2), "AVRO")).version
print(json.dumps(out))
