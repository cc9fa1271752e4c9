"""The client scenario (scenario_common.py) with confluent-kafka-python (librdkafka)."""
import time
import confluent_kafka
from confluent_kafka import Consumer, Producer, TopicPartition, TopicCollection, ConsumerGroupTopicPartitions
from confluent_kafka.admin import AdminClient, NewTopic
from scenario_common import Result, args, record

a = args()
b, topic, group, n, m = a['bootstrap'], a['topic'], a['group'], a['count'], a['resume']
r = Result('confluent-kafka-python', '%s/librdkafka %s' % (confluent_kafka.version()[0], confluent_kafka.libversion()[0]))
admin = AdminClient({'bootstrap.servers': b})


def one(futures):
    for f in futures.values():
        return f.result()


r.step('create', lambda: one(admin.create_topics([NewTopic(topic, a['partitions'], 1)], operation_timeout=10)) or 'ok')
r.step('partitions', lambda: len(one(admin.describe_topics(TopicCollection([topic]))).partitions))
r.step('listed', lambda: topic in admin.list_topics(timeout=10).topics)
r.step('nodes', lambda: len(admin.describe_cluster().result().nodes))

producer = Producer({'bootstrap.servers': b, 'acks': 'all', **a['producer']})


def delivered(err, msg):
    if err is not None:
        r.out['produceErrors'].append(str(err))
    else:
        r.produced(msg.value(), msg.partition(), msg.offset())


def produce(first, count):
    for i in range(first, first + count):
        k, v, h = record(i)
        producer.produce(topic, key=k, value=v, headers=h, on_delivery=delivered)
        producer.poll(0)
    producer.flush(30)


def consume(into, want):
    c = Consumer({'bootstrap.servers': b, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False, **a['consumer']})
    c.subscribe([topic])
    deadline = time.time() + a['timeout']
    got = 0
    while got < want and time.time() < deadline:
        msg = c.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            r.out['consumeErrors'].append(str(msg.error()))
            continue
        got += 1
        r.consumed(into, msg.key(), msg.value(), msg.headers(), msg.partition(), msg.offset())
    # Nothing more should arrive: a second later, anything extra is a duplicate.
    end = time.time() + 1
    while time.time() < end:
        msg = c.poll(0.2)
        if msg is not None and not msg.error():
            r.consumed(into, msg.key(), msg.value(), msg.headers(), msg.partition(), msg.offset())
    c.commit(asynchronous=False)
    committed = c.committed([TopicPartition(topic, p) for p in range(a['partitions'])], timeout=10)
    r.out['committed'] = {str(tp.partition): tp.offset for tp in committed}
    c.close()


produce(0, n)
consume('consumed', n)
produce(n, m)
consume('resumed', m)


def group_info():
    d = one(admin.describe_consumer_groups([group]))
    return {'state': str(d.state.name), 'members': len(d.members)}


r.step('listedGroup', lambda: group in [g.group_id for g in admin.list_consumer_groups().result().valid])
r.step('describedGroup', group_info)
r.step('groupOffsets', lambda: {str(tp.partition): tp.offset for tp in one(admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])).topic_partitions})
r.step('delete', lambda: one(admin.delete_topics([topic], operation_timeout=10)) or 'ok')
time.sleep(0.5)
r.step('deleted', lambda: topic not in admin.list_topics(timeout=10).topics)
r.print()
