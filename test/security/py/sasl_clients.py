"""SASL_PLAINTEXT / SASL_SSL round trip with confluent-kafka-python (librdkafka >= 2.6) or kafka-python.

Argument: one JSON object {lib, bootstrap, mechanism, user, password, topic, group, expect_fail,
protocol, ca}: protocol defaults to SASL_PLAINTEXT; SASL_SSL trusts the CA file `ca`.
Produces 5 records in a transaction (confluent) or plainly (kafka-python), consumes them in a
group, commits, and prints one JSON line {produced, consumed, committed}; with expect_fail, only
connects and prints {failed, error, seconds} (how fast a wrong password is refused).
"""
import json
import sys
import time

a = json.loads(sys.argv[1])


def confluent():
    from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient
    conf = {'bootstrap.servers': a['bootstrap'], 'security.protocol': a.get('protocol', 'SASL_PLAINTEXT'), 'sasl.mechanism': a['mechanism'],
            'sasl.username': a['user'], 'sasl.password': a['password']}
    if a.get('ca'):
        conf['ssl.ca.location'] = a['ca']
    if a.get('expect_fail'):
        # librdkafka reports the broker's refusal through error_cb (and keeps retrying): time it.
        t0 = time.time()
        errors = []
        admin = AdminClient({**conf, 'log_level': 0, 'error_cb': lambda e: errors.append((e.name(), e.str(), time.time() - t0))})
        while time.time() - t0 < 10 and not any(e[0] == '_AUTHENTICATION' for e in errors):
            admin.poll(0.1)
        auth = [e for e in errors if e[0] == '_AUTHENTICATION']
        return {'failed': bool(auth), 'error': auth[0][1] if auth else repr(errors), 'seconds': auth[0][2] if auth else None}
    p = Producer({**conf, 'transactional.id': 'tx-' + a['topic']})
    p.init_transactions(20)
    p.begin_transaction()
    for i in range(5):
        p.produce(a['topic'], key=b'k%d' % i, value=b'v%d' % i)
    p.commit_transaction(20)
    c = Consumer({**conf, 'group.id': a['group'], 'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'isolation.level': 'read_committed'})
    c.subscribe([a['topic']])
    got = []
    deadline = time.time() + 30
    while len(got) < 5 and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
    c.commit(asynchronous=False)
    committed = c.committed([TopicPartition(a['topic'], 0)], timeout=10)
    c.close()
    return {'produced': 5, 'consumed': sorted(got), 'committed': committed[0].offset}


def kafka_python():
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.errors import KafkaError
    conf = dict(bootstrap_servers=a['bootstrap'], security_protocol=a.get('protocol', 'SASL_PLAINTEXT'), sasl_mechanism=a['mechanism'],
                sasl_plain_username=a['user'], sasl_plain_password=a['password'])
    if a.get('ca'):
        conf['ssl_cafile'] = a['ca']
    if a.get('expect_fail'):
        # kafka-python logs the broker's refusal and retries the bootstrap until its timeout: time the refusal.
        import logging
        t0 = time.time()
        seen = []

        class Catch(logging.Handler):
            def emit(self, record):
                if 'SaslAuthenticationFailedError' in record.getMessage() and not seen:
                    seen.append((record.getMessage(), time.time() - t0))

        logging.getLogger('kafka').addHandler(Catch())
        logging.getLogger('kafka').setLevel(logging.WARNING)
        import threading

        def attempt():
            try:
                # Short reconnect backoffs: on a loaded machine a first attempt that times out
                # must not leave the client waiting its default (up to 30 s) before the next.
                KafkaConsumer(**conf, reconnect_backoff_ms=100, reconnect_backoff_max_ms=500).topics()
            except KafkaError:
                pass
        threading.Thread(target=attempt, daemon=True).start()
        while not seen and time.time() - t0 < 15:
            time.sleep(0.05)
        return {'failed': bool(seen), 'error': seen[0][0] if seen else None, 'seconds': seen[0][1] if seen else None}
    p = KafkaProducer(**conf)
    for i in range(5):
        p.send(a['topic'], key=b'k%d' % i, value=b'v%d' % i)
    p.flush(20)
    p.close()
    c = KafkaConsumer(a['topic'], **conf, group_id=a['group'], auto_offset_reset='earliest', enable_auto_commit=False, consumer_timeout_ms=20000)
    got = []
    for m in c:
        got.append(m.value.decode())
        if len(got) >= 5:
            break
    c.commit()
    committed = c.committed(TopicPartition(a['topic'], 0))
    c.close()
    return {'produced': 5, 'consumed': sorted(got), 'committed': committed}


print(json.dumps(confluent() if a['lib'] == 'confluent' else kafka_python()), flush=True)
import os
os._exit(0)  # kafka-python's retrying bootstrap thread (expect_fail) must not keep the process alive
