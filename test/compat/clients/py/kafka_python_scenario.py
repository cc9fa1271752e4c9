"""The client scenario (scenario_common.py) with kafka-python (2.x or 3.x: the admin API differs)."""
import time
import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from scenario_common import Result, args, record

a = args()
b, topic, group, n, m = a['bootstrap'], a['topic'], a['group'], a['count'], a['resume']
r = Result('kafka-python', kafka.__version__)
admin = KafkaAdminClient(bootstrap_servers=b)
v3 = hasattr(admin, 'list_groups')  # 3.x renamed the group calls


def partitions():
    d = admin.describe_topics([topic])[0]
    return len(d['partitions'])


r.step('create', lambda: admin.create_topics([NewTopic(topic, a['partitions'], 1)]) and 'ok')
r.step('partitions', partitions)
r.step('listed', lambda: topic in admin.list_topics())
r.step('nodes', lambda: len(admin.describe_cluster()['brokers']))

producer = KafkaProducer(bootstrap_servers=b, acks='all', **a['producer'])


def produce(first, count):
    futures = []
    for i in range(first, first + count):
        k, v, h = record(i)
        futures.append((v, producer.send(topic, key=k, value=v, headers=h)))
    producer.flush(30)
    for v, f in futures:
        try:
            md = f.get(10)
            r.produced(v, md.partition, md.offset)
        except Exception as e:  # noqa: BLE001
            r.out['produceErrors'].append(repr(e))


def consume(into, want):
    c = KafkaConsumer(topic, bootstrap_servers=b, group_id=group, auto_offset_reset='earliest', enable_auto_commit=False, **a['consumer'])
    deadline = time.time() + a['timeout']
    got = 0
    while got < want and time.time() < deadline:
        for msgs in c.poll(500).values():
            for msg in msgs:
                got += 1
                r.consumed(into, msg.key, msg.value, msg.headers, msg.partition, msg.offset)
    end = time.time() + 1
    while time.time() < end:
        for msgs in c.poll(200).values():
            for msg in msgs:
                r.consumed(into, msg.key, msg.value, msg.headers, msg.partition, msg.offset)
    c.commit()
    r.out['committed'] = {str(p): c.committed(TopicPartition(topic, p)) for p in range(a['partitions'])}
    c.close()


produce(0, n)
consume('consumed', n)
produce(n, m)
consume('resumed', m)
producer.close()


def group_info():
    if v3:
        d = admin.describe_groups([group])[group]
        return {'state': d['group_state'], 'members': len(d['members'])}
    d = admin.describe_consumer_groups([group])[0]
    return {'state': d.state, 'members': len(d.members)}


def group_offsets():
    if v3:
        offs = admin.list_group_offsets({group: None})[group]
    else:
        offs = admin.list_consumer_group_offsets(group)
    return {str(tp.partition): o.offset for tp, o in offs.items()}


def listed_group():
    if v3:
        return group in [g['group_id'] for g in admin.list_groups()]
    return group in [g[0] for g in admin.list_consumer_groups()]


r.step('listedGroup', listed_group)
r.step('describedGroup', group_info)
r.step('groupOffsets', group_offsets)
r.step('delete', lambda: admin.delete_topics([topic]) and 'ok')
time.sleep(0.5)
r.step('deleted', lambda: topic not in admin.list_topics())
admin.close()
r.print()
