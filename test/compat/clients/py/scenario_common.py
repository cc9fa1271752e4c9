"""Shared pieces of the client scenarios (confluent_scenario.py, kafka_python_scenario.py,
aiokafka_scenario.py): argument parsing, the records produced, and the JSON printed at the end.

Every scenario takes one JSON argument:
  {"bootstrap": "h:p", "topic": T, "group": G, "partitions": 3, "count": N, "resume": M,
   "producer": {client config overrides}, "consumer": {...}}
and runs the same steps with its client's defaults: admin create/describe topic, produce N keyed
records with a header (acks=all), consume them in group G and commit, produce M more and resume
with a new consumer in G (it must see only those M), describe the group and its offsets, delete
the topic. It prints one JSON line (see result()). Record i has key k{i % 37}, value v{i} and
header ("h", x{i}), so the checker can match every consumed record to its produce report.
"""
import json
import sys
import time


def args():
    a = json.loads(sys.argv[1])
    a.setdefault('partitions', 3)
    a.setdefault('count', 500)
    a.setdefault('resume', 50)
    a.setdefault('producer', {})
    a.setdefault('consumer', {})
    a.setdefault('timeout', 45)
    return a


def record(i):
    return ('k%d' % (i % 37)).encode(), ('v%d' % i).encode(), [('h', ('x%d' % i).encode())]


class Result:
    def __init__(self, client, version):
        self.out = {'client': client, 'version': version, 'admin': {}, 'produced': [], 'produceErrors': [],
                    'consumed': [], 'resumed': [], 'consumeErrors': [], 'committed': {}, 'group': {}}
        self.t0 = time.time()

    def step(self, name, fn):
        """Runs one admin step; its value or 'ERR ...' goes to admin[name]."""
        try:
            self.out['admin'][name] = fn()
        except Exception as e:  # noqa: BLE001 - the checker reports it
            self.out['admin'][name] = 'ERR %r' % (e,)

    def produced(self, value, partition, offset):
        self.out['produced'].append([value.decode() if isinstance(value, bytes) else value, partition, offset])

    def consumed(self, into, key, value, headers, partition, offset):
        hs = [[k, (v.decode() if isinstance(v, bytes) else v)] for k, v in (headers or [])]
        self.out[into].append([key.decode() if key is not None else None, value.decode(), hs, partition, offset])

    def print(self):
        self.out['ms'] = int((time.time() - self.t0) * 1000)
        print(json.dumps(self.out))
