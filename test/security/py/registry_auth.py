"""confluent-kafka-python's SchemaRegistryClient (Debian's python) against Runnel's registry over
HTTPS with Basic auth: register as a read-write user, read as a read-only user, and try to register
as read-only (refused). argv[1]: JSON {url, ca, writer, reader}. Prints one JSON line."""
import json, sys
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

a = json.loads(sys.argv[1])
out = {}
schema = Schema(json.dumps({"type": "record", "name": "T", "fields": [{"name": "id", "type": "long"}]}), "AVRO")
writer = SchemaRegistryClient({"url": a["url"], "ssl.ca.location": a["ca"], "basic.auth.user.info": a["writer"]})
out["registered"] = writer.register_schema("auth-value", schema)
reader = SchemaRegistryClient({"url": a["url"], "ssl.ca.location": a["ca"], "basic.auth.user.info": a["reader"]})
out["readBack"] = json.loads(reader.get_schema(out["registered"]).schema_str)["name"]
out["subjects"] = reader.get_subjects()
try:
    reader.register_schema("auth2-value", schema)
    out["readerWrite"] = "allowed"
except SchemaRegistryError as e:
    out["readerWrite"] = [e.http_status_code, e.error_code]
try:
    SchemaRegistryClient({"url": a["url"], "ssl.ca.location": a["ca"], "basic.auth.user.info": "writer:wrong"}).get_subjects()
    out["wrongPassword"] = "allowed"
except SchemaRegistryError as e:
    out["wrongPassword"] = [e.http_status_code, e.error_code]
print(json.dumps(out))
