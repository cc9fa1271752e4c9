"""kafka-python (2.0.2) against the ops APIs: the broker version it infers from ApiVersions
(DescribeAcls v2 → 2.5) and its ACL calls (DescribeAcls/CreateAcls/DeleteAcls) on a broker
without an authorizer."""
import json
import sys

from kafka.admin import KafkaAdminClient, ACL, ACLFilter, ACLOperation, ACLPermissionType, ResourcePattern, ResourcePatternFilter, ResourceType, ACLResourcePatternType
from kafka.errors import KafkaError

args = json.loads(sys.argv[1])
bootstrap = args["bootstrap"]
out = {}

admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kp-ops", request_timeout_ms=20000)
out["api_version"] = list(admin.config["api_version"])


def attempt(name, fn):
    try:
        out[name] = {"ok": repr(fn())}
    except KafkaError as e:
        out[name] = {"error": type(e).__name__, "errno": getattr(e, "errno", None)}


any_filter = ACLFilter(principal=None, host="*", operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
                       resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY))
attempt("describe_acls", lambda: admin.describe_acls(any_filter))
acl = ACL(principal="User:alice", host="*", operation=ACLOperation.READ, permission_type=ACLPermissionType.ALLOW,
          resource_pattern=ResourcePattern(ResourceType.TOPIC, "probe", ACLResourcePatternType.LITERAL))
res = admin.create_acls([acl])
out["create_acls"] = {"succeeded": len(res["succeeded"]), "failed": [getattr(e, "__name__", type(e).__name__) for _, e in res["failed"]]}
res = admin.delete_acls([any_filter])
out["delete_acls"] = [getattr(e, "__name__", type(e).__name__) if e is not None else None for _, _, e in res]
admin.close()
print(json.dumps(out))
