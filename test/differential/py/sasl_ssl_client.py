"""librdkafka (confluent-kafka-python) over SASL_SSL for test/differential/sasl-ssl-acl.test.ts.

Argument: one JSON object {bootstrap, ca, mechanism, user, password, topic}. Logs in, lists the
topics it may describe, produces one record to `topic` and prints one JSON line: {login: null or
the authentication error, topics, produce: the delivery error name or 'delivered'}. A refused
login stops there (librdkafka reports it through error_cb and keeps retrying).
"""
import json
import sys
import time

a = json.loads(sys.argv[1])


def main():
    from confluent_kafka import KafkaException, Producer
    from confluent_kafka.admin import AdminClient
    conf = {'bootstrap.servers': a['bootstrap'], 'security.protocol': 'SASL_SSL', 'ssl.ca.location': a['ca'],
            'sasl.mechanism': a['mechanism'], 'sasl.username': a['user'], 'sasl.password': a['password']}
    errors = []
    t0 = time.time()
    admin = AdminClient({**conf, 'log_level': 0, 'error_cb': lambda e: errors.append((e.name(), e.str()))})
    topics = None
    while time.time() - t0 < 15 and topics is None:
        admin.poll(0.1)  # serves error_cb
        if any(e[0] == '_AUTHENTICATION' for e in errors):
            break
        try:
            topics = sorted(admin.list_topics(timeout=1).topics.keys())
        except KafkaException:
            pass
    auth = [e[1] for e in errors if e[0] == '_AUTHENTICATION']
    if auth:
        return {'login': auth[0], 'topics': None, 'produce': None}
    result = []
    p = Producer({**conf, 'log_level': 0, 'message.timeout.ms': 10000, 'error_cb': lambda e: None})
    p.produce(a['topic'], value=b'x', on_delivery=lambda err, _m: result.append('delivered' if err is None else err.name()))
    p.flush(15)
    return {'login': None, 'topics': topics, 'produce': result[0] if result else 'no report'}


print(json.dumps(main()))
