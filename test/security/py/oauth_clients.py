"""SASL/OAUTHBEARER with confluent-kafka-python (librdkafka): the token comes from an oauth_cb.

Argument: one JSON object {bootstrap, protocol, ca, token_url, topic, group, expect_fail}. The
oauth_cb fetches a JWT from the test's token server (token_url, on 127.0.0.1; the test signs it
with its own key) and hands it to librdkafka with a one-minute expiry of its own. Produces 5
records, consumes them in a group, commits, and prints one JSON line {produced, consumed,
committed, tokens}; with expect_fail, only connects and prints {failed, error, seconds} (how fast
the broker's refusal of a bad token shows).
"""
import json
import sys
import time
import urllib.request

a = json.loads(sys.argv[1])
fetched = []


def oauth_cb(_config):
    with urllib.request.urlopen(a['token_url'], timeout=5) as r:
        token = json.loads(r.read())['access_token']
    fetched.append(time.time())
    # (token, expiry in epoch seconds, principal, extensions): librdkafka refreshes at 80 % of it.
    return token, time.time() + 60, 'ignored-by-the-broker', {}


def main():
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient
    conf = {'bootstrap.servers': a['bootstrap'], 'security.protocol': a.get('protocol', 'SASL_SSL'), 'sasl.mechanism': 'OAUTHBEARER', 'oauth_cb': oauth_cb}
    if a.get('ca'):
        conf['ssl.ca.location'] = a['ca']
    if a.get('expect_fail'):
        t0 = time.time()
        errors = []
        admin = AdminClient({**conf, 'log_level': 0, 'error_cb': lambda e: errors.append((e.name(), e.str(), time.time() - t0))})
        while time.time() - t0 < 10 and not any(e[0] == '_AUTHENTICATION' for e in errors):
            admin.poll(0.1)
        auth = [e for e in errors if e[0] == '_AUTHENTICATION']
        return {'failed': bool(auth), 'error': auth[0][1] if auth else repr(errors), 'seconds': auth[0][2] if auth else None}
    p = Producer({**conf, 'enable.idempotence': True})
    for i in range(5):
        p.produce(a['topic'], key=b'k%d' % i, value=b'v%d' % i)
    left = p.flush(20)
    c = Consumer({**conf, 'group.id': a['group'], 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
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
    return {'produced': 5 - left, 'consumed': sorted(got), 'committed': committed[0].offset, 'tokens': len(fetched)}


print(json.dumps(main()))
