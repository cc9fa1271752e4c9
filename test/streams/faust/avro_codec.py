"""A Faust codec for Avro values in the Confluent wire format, through a schema registry (Runnel's
serves the Confluent REST API): 0x00, the writer schema's id (4 bytes, big-endian), then the Avro
binary body (fastavro). Encoding registers the codec's schema under its subject once (POST
/subjects/<subject>/versions) and reuses the id; decoding fetches each writer schema by id once
(GET /schemas/ids/<id>) and resolves it to the codec's schema, so records written by any Confluent
serializer (kafkajs' @kafkajs/confluent-schema-registry, confluent-kafka's AvroSerializer) decode.

Faust calls codecs synchronously on its event loop, so the two registry requests block it; they
happen once per schema id, not per record.

    codecs.register("avro_order", ConfluentAvroCodec(REGISTRY, "orders_avro-value", ORDER_SCHEMA))
    app.topic("orders_avro", key_type=str, value_type=Order, value_serializer="avro_order")
"""
import io
import json
import struct
import urllib.request
from typing import Any, Dict

import fastavro
from faust.serializers.codecs import Codec

MAGIC = 0


class ConfluentAvroCodec(Codec):
    def __init__(self, registry_url: str, subject: str, schema: dict, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.registry_url = registry_url.rstrip("/")
        self.subject = subject
        self.schema_text = json.dumps(schema)
        self.schema = fastavro.parse_schema(schema)
        self.schema_id = None
        self.writer_schemas: Dict[int, Any] = {}

    def _request(self, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.registry_url + path,
            data=data,
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)

    def _dumps(self, obj: Any) -> bytes:
        if self.schema_id is None:
            path = f"/subjects/{self.subject}/versions"
            self.schema_id = self._request(path, {"schema": self.schema_text})["id"]
        out = io.BytesIO()
        out.write(struct.pack(">bI", MAGIC, self.schema_id))
        # Faust hands over the record as a dict (with its own "__faust" metadata key, which the
        # Avro writer ignores: it writes the schema's fields only).
        fastavro.schemaless_writer(out, self.schema, obj)
        return out.getvalue()

    def _loads(self, s: bytes) -> Any:
        if len(s) < 5 or s[0] != MAGIC:
            raise ValueError("not Confluent Avro: no magic byte 0 and schema id")
        schema_id = struct.unpack(">I", s[1:5])[0]
        writer = self.writer_schemas.get(schema_id)
        if writer is None:
            text = self._request(f"/schemas/ids/{schema_id}")["schema"]
            writer = self.writer_schemas[schema_id] = fastavro.parse_schema(json.loads(text))
        return fastavro.schemaless_reader(io.BytesIO(s[5:]), writer, self.schema)
