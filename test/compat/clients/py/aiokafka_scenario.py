"""The client scenario (scenario_common.py) with aiokafka (asyncio)."""
import asyncio
import time
import aiokafka
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from scenario_common import Result, args, record

a = args()
b, topic, group, n, m = a['bootstrap'], a['topic'], a['group'], a['count'], a['resume']
r = Result('aiokafka', aiokafka.__version__)


async def step(name, coro_fn):
    try:
        r.out['admin'][name] = await coro_fn()
    except Exception as e:  # noqa: BLE001
        r.out['admin'][name] = 'ERR %r' % (e,)


async def main():
    admin = AIOKafkaAdminClient(bootstrap_servers=b)
    await admin.start()

    async def create():
        res = await admin.create_topics([NewTopic(topic, a['partitions'], 1)])
        errs = [e for e in res.topic_errors if e[1] != 0]
        return 'ok' if not errs else str(errs)

    async def partitions():
        return len((await admin.describe_topics([topic]))[0]['partitions'])

    async def listed():
        return topic in await admin.list_topics()

    async def nodes():
        return len((await admin.describe_cluster())['brokers'])

    await step('create', create)
    await step('partitions', partitions)
    await step('listed', listed)
    await step('nodes', nodes)

    producer = AIOKafkaProducer(bootstrap_servers=b, acks='all', **a['producer'])
    await producer.start()

    async def produce(first, count):
        futures = []
        for i in range(first, first + count):
            k, v, h = record(i)
            futures.append((v, await producer.send(topic, key=k, value=v, headers=h)))
        await producer.flush()
        for v, f in futures:
            try:
                md = await f
                r.produced(v, md.partition, md.offset)
            except Exception as e:  # noqa: BLE001
                r.out['produceErrors'].append(repr(e))

    async def consume(into, want):
        c = AIOKafkaConsumer(topic, bootstrap_servers=b, group_id=group, auto_offset_reset='earliest', enable_auto_commit=False, **a['consumer'])
        await c.start()
        deadline = time.time() + a['timeout']
        got = 0
        while got < want and time.time() < deadline:
            for msgs in (await c.getmany(timeout_ms=500)).values():
                for msg in msgs:
                    got += 1
                    r.consumed(into, msg.key, msg.value, msg.headers, msg.partition, msg.offset)
        end = time.time() + 1
        while time.time() < end:
            for msgs in (await c.getmany(timeout_ms=200)).values():
                for msg in msgs:
                    r.consumed(into, msg.key, msg.value, msg.headers, msg.partition, msg.offset)
        await c.commit()
        r.out['committed'] = {str(p): await c.committed(TopicPartition(topic, p)) for p in range(a['partitions'])}
        await c.stop()

    await produce(0, n)
    await consume('consumed', n)
    await produce(n, m)
    await consume('resumed', m)
    await producer.stop()

    async def listed_group():
        return group in [g[0] for g in await admin.list_consumer_groups()]

    async def group_info():
        d = (await admin.describe_consumer_groups([group]))[0]
        g = d.groups[0]
        return {'state': g[2], 'members': len(g[5])}

    async def group_offsets():
        return {str(tp.partition): o.offset for tp, o in (await admin.list_consumer_group_offsets(group)).items()}

    async def delete():
        res = await admin.delete_topics([topic])
        errs = [e for e in res.topic_error_codes if e[1] != 0]
        return 'ok' if not errs else str(errs)

    await step('listedGroup', listed_group)
    await step('describedGroup', group_info)
    await step('groupOffsets', group_offsets)
    await step('delete', delete)
    await asyncio.sleep(0.5)

    async def deleted():
        return topic not in await admin.list_topics()

    await step('deleted', deleted)
    await admin.close()


asyncio.run(main())
r.print()
