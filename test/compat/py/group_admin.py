"""Group administration through confluent-kafka-python's AdminClient (librdkafka: ListGroups +
DescribeGroups) and kafka-python's KafkaAdminClient (list/describe/offsets/delete). Prints one JSON
document with what each client saw.

Args (JSON): bootstrap, active (a group with members), empty (an empty group with offsets),
simple (a group with simple commits only), topic, delete (a group to delete with kafka-python).
"""
import json
import struct
import sys

from confluent_kafka.admin import AdminClient
from kafka import KafkaAdminClient
from kafka.structs import TopicPartition

args = json.loads(sys.argv[1])
out = {}


def decode_assignment(b):
    """ConsumerProtocolAssignment v0+: version, [topic, [partition]], user data."""
    if not b:
        return {}
    pos = 2
    (n,) = struct.unpack_from(">i", b, pos)
    pos += 4
    res = {}
    for _ in range(n):
        (tl,) = struct.unpack_from(">h", b, pos)
        pos += 2
        topic = b[pos : pos + tl].decode()
        pos += tl
        (pn,) = struct.unpack_from(">i", b, pos)
        pos += 4
        res[topic] = sorted(struct.unpack_from(">%di" % pn, b, pos))
        pos += 4 * pn
    return res


# confluent-kafka-python 1.7 (librdkafka 2.0.2): list_groups() = ListGroups + DescribeGroups.
ck = AdminClient({"bootstrap.servers": args["bootstrap"]})
groups = ck.list_groups(timeout=20)
out["ck_groups"] = {
    g.id: {
        "state": g.state,
        "protocol_type": g.protocol_type,
        "protocol": g.protocol,
        "members": sorted(
            [{"client_id": m.client_id, "client_host": m.client_host, "assignment": decode_assignment(m.assignment)} for m in g.members],
            key=lambda m: m["client_id"],
        ),
    }
    for g in groups
}

kp = KafkaAdminClient(bootstrap_servers=args["bootstrap"])
out["kp_list"] = sorted([list(g) for g in kp.list_consumer_groups()])
described = kp.describe_consumer_groups([args["active"], args["empty"]])
out["kp_describe"] = {
    d.group: {
        "state": d.state,
        "protocol_type": d.protocol_type,
        "protocol": d.protocol,
        "members": sorted(
            [
                {
                    "client_id": m.client_id,
                    "assignment": {t: sorted(ps) for t, ps in (m.member_assignment.assignment if m.member_assignment else [])},
                }
                for m in d.members
            ],
            key=lambda m: m["client_id"],
        ),
    }
    for d in described
}
offsets = kp.list_consumer_group_offsets(args["active"])
out["kp_offsets"] = {"%s-%d" % (tp.topic, tp.partition): om.offset for tp, om in offsets.items()}
some = kp.list_consumer_group_offsets(args["simple"], partitions=[TopicPartition(args["topic"], 0), TopicPartition(args["topic"], 99)])
out["kp_offsets_some"] = {"%s-%d" % (tp.topic, tp.partition): om.offset for tp, om in some.items()}
out["kp_delete"] = [[g, getattr(e, "errno", 0)] for g, e in kp.delete_consumer_groups([args["delete"], args["active"], "no-such-group"])]
out["kp_list_after"] = sorted(g for g, _ in kp.list_consumer_groups())
kp.close()
print(json.dumps(out))
