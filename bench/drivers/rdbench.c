/*
 * rdbench: the benchmark suite's librdkafka driver (bench/suite/), a small C program so that the
 * client costs as little CPU as possible on a 2-core machine and the same client code drives every
 * broker: Runnel, Apache Kafka and librdkafka's own mock cluster.
 *
 * Built by bench/suite/lib/rdbench.ts with `gcc -O2 ... -l:librdkafka.so.1 -lpthread` against the
 * librdkafka that Debian's kcat and python3-confluent-kafka use (2.0.2 here). No librdkafka headers
 * are needed: the few declarations below are copied from rdkafka.h / rdkafka_mock.h, whose ABI has
 * been stable since 1.0.
 *
 * Every operation prints one JSON line on stdout (the last line) and exits 0, or prints an error on
 * stderr and exits 1.
 *
 *   rdbench produce    BOOTSTRAP TOPIC COUNT SIZE ACKS [SPREAD] [PROPS]  COUNT values of SIZE bytes;
 *                      SPREAD > 0: record i goes to partition i % SPREAD (else librdkafka's sticky
 *                      partitioner, whose partition switches depend on timing, so on the broker's
 *                      speed); flush; {"elapsed","acked","errors","error"}
 *   rdbench consume    BOOTSTRAP TOPIC PARTITIONS|FIRST+N COUNT [PROPS] assign every partition from
 *                      the beginning, read COUNT records or to the end of every partition (the mock
 *                      keeps only the last 5 MiB of each); {"elapsed","count","bytes","firstMs","lastMs"}
 *   rdbench sequential BOOTSTRAP TOPIC COUNT SIZE                      one record at a time, acks=all,
 *                      each after the previous delivery report; {"elapsed","p50","p99","max"} (ms)
 *   rdbench latency    BOOTSTRAP TOPIC RATE SECONDS SIZE ACKS          producer paced at RATE/s in 1 ms
 *                      ticks to partition 0, consumer thread in the same process; end-to-end (send
 *                      call -> consumer has the record) {"count","p50","p99","p999","max"} (ms)
 *   rdbench fanout     BOOTSTRAP TOPIC COUNT SIZE GROUPS [SPREAD]      GROUPS consumers, each in its
 *                      own group (subscribe), joined before one producer sends COUNT records (acks=1;
 *                      SPREAD as for produce);
 *                      {"joinMs","produceSecs","doneSecs","groupSecs":[...]} times from produce start
 *   rdbench mock                                                      librdkafka's mock cluster (as
 *                      `kcat -X test.mock.num.brokers=1`): prints {"bootstrap"}; then reads lines
 *                      "create TOPIC PARTITIONS" from stdin, answers "ok" or "error ..."; exits at EOF
 *   rdbench loopback   BYTES                                           native TCP over 127.0.0.1 (a
 *                      writer and a reader thread, 1 MiB buffers): {"MBps"}, like iperf3
 *
 * PROPS: extra librdkafka properties, "k=v,k=v".
 * Environment: RDBENCH_DEBUG=cgrp,fetch,... turns on librdkafka's debug contexts (stderr);
 * RDBENCH_SLOW=file makes `latency` write "send-time-ms latency-ms" for every record slower than 5 ms.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- librdkafka declarations (rdkafka.h, rdkafka_mock.h) ------------------------------------ */
typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_topic_s rd_kafka_topic_t;
typedef struct rd_kafka_conf_s rd_kafka_conf_t;
typedef struct rd_kafka_topic_conf_s rd_kafka_topic_conf_t;
typedef struct rd_kafka_queue_s rd_kafka_queue_t;
typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;
typedef int rd_kafka_resp_err_t;
typedef enum { RD_KAFKA_PRODUCER, RD_KAFKA_CONSUMER } rd_kafka_type_t;

typedef struct rd_kafka_message_s {
  rd_kafka_resp_err_t err;
  rd_kafka_topic_t *rkt;
  int32_t partition;
  void *payload;
  size_t len;
  void *key;
  size_t key_len;
  int64_t offset;
  void *_private;
} rd_kafka_message_t;

typedef struct rd_kafka_topic_partition_s {
  char *topic;
  int32_t partition;
  int64_t offset;
  void *metadata;
  size_t metadata_size;
  void *opaque;
  rd_kafka_resp_err_t err;
  void *_private;
} rd_kafka_topic_partition_t;

typedef struct rd_kafka_topic_partition_list_s {
  int cnt;
  int size;
  rd_kafka_topic_partition_t *elems;
} rd_kafka_topic_partition_list_t;

#define RD_KAFKA_PARTITION_UA ((int32_t)-1)
#define RD_KAFKA_MSG_F_COPY 0x2
#define RD_KAFKA_OFFSET_BEGINNING -2
#define RD_KAFKA_OFFSET_END -1
#define RD_KAFKA_RESP_ERR__PARTITION_EOF -191
#define RD_KAFKA_RESP_ERR__QUEUE_FULL -184
#define RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS -175
#define RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS -174

rd_kafka_conf_t *rd_kafka_conf_new(void);
int rd_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr, size_t errstr_size);
void rd_kafka_conf_set_dr_msg_cb(rd_kafka_conf_t *conf, void (*cb)(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque));
void rd_kafka_conf_set_rebalance_cb(rd_kafka_conf_t *conf, void (*cb)(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *partitions, void *opaque));
void rd_kafka_conf_set_opaque(rd_kafka_conf_t *conf, void *opaque);
rd_kafka_t *rd_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr, size_t errstr_size);
void rd_kafka_destroy(rd_kafka_t *rk);
rd_kafka_topic_t *rd_kafka_topic_new(rd_kafka_t *rk, const char *topic, rd_kafka_topic_conf_t *conf);
void rd_kafka_topic_destroy(rd_kafka_topic_t *rkt);
int rd_kafka_produce(rd_kafka_topic_t *rkt, int32_t partition, int msgflags, void *payload, size_t len, const void *key, size_t keylen, void *msg_opaque);
rd_kafka_resp_err_t rd_kafka_last_error(void);
int rd_kafka_poll(rd_kafka_t *rk, int timeout_ms);
rd_kafka_resp_err_t rd_kafka_flush(rd_kafka_t *rk, int timeout_ms);
const char *rd_kafka_err2str(rd_kafka_resp_err_t err);
rd_kafka_resp_err_t rd_kafka_subscribe(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *topics);
rd_kafka_resp_err_t rd_kafka_poll_set_consumer(rd_kafka_t *rk);
rd_kafka_message_t *rd_kafka_consumer_poll(rd_kafka_t *rk, int timeout_ms);
void rd_kafka_message_destroy(rd_kafka_message_t *m);
rd_kafka_resp_err_t rd_kafka_consumer_close(rd_kafka_t *rk);
rd_kafka_resp_err_t rd_kafka_assign(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *partitions);
rd_kafka_topic_partition_list_t *rd_kafka_topic_partition_list_new(int size);
rd_kafka_topic_partition_t *rd_kafka_topic_partition_list_add(rd_kafka_topic_partition_list_t *l, const char *topic, int32_t partition);
void rd_kafka_topic_partition_list_destroy(rd_kafka_topic_partition_list_t *l);
rd_kafka_queue_t *rd_kafka_queue_get_consumer(rd_kafka_t *rk);
ssize_t rd_kafka_consume_batch_queue(rd_kafka_queue_t *q, int timeout_ms, rd_kafka_message_t **msgs, size_t size);
void rd_kafka_queue_destroy(rd_kafka_queue_t *q);
rd_kafka_mock_cluster_t *rd_kafka_mock_cluster_new(rd_kafka_t *rk, int broker_cnt);
const char *rd_kafka_mock_cluster_bootstraps(const rd_kafka_mock_cluster_t *mcluster);
rd_kafka_resp_err_t rd_kafka_mock_topic_create(rd_kafka_mock_cluster_t *mcluster, const char *topic, int partition_cnt, int replication_factor);
const char *rd_kafka_version_str(void);

/* ---- helpers ------------------------------------------------------------------------------- */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}
static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "rdbench: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(c, k, v, err, sizeof err) != 0) die("config %s=%s: %s", k, v, err);
}

/* "k=v,k=v" */
static void set_props(rd_kafka_conf_t *c, const char *props) {
  if (!props || !*props) return;
  char *copy = strdup(props), *save = NULL;
  for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(kv, '=');
    if (!eq) die("bad property %s", kv);
    *eq = 0;
    set(c, kv, eq + 1);
  }
  free(copy);
}

static rd_kafka_t *make(rd_kafka_type_t type, rd_kafka_conf_t *c) {
  char err[512];
  set(c, "log_level", "3");
  /* RDBENCH_DEBUG=cgrp,fetch ... turns on librdkafka's debug contexts (stderr) */
  if (getenv("RDBENCH_DEBUG")) {
    set(c, "debug", getenv("RDBENCH_DEBUG"));
    set(c, "log_level", "7");
  }
  rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof err);
  if (!rk) die("rd_kafka_new: %s", err);
  return rk;
}

static rd_kafka_conf_t *producer_conf(const char *bootstrap, const char *acks) {
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  set(c, "bootstrap.servers", bootstrap);
  set(c, "acks", acks);
  set(c, "linger.ms", "10");
  set(c, "batch.size", "1000000");
  set(c, "batch.num.messages", "100000");
  set(c, "queue.buffering.max.messages", "2000000");
  set(c, "queue.buffering.max.kbytes", "2097151");
  set(c, "message.timeout.ms", "120000");
  return c;
}

static rd_kafka_conf_t *consumer_conf(const char *bootstrap, const char *group) {
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  set(c, "bootstrap.servers", bootstrap);
  set(c, "group.id", group);
  set(c, "enable.auto.commit", "false");
  set(c, "auto.offset.reset", "earliest");
  set(c, "fetch.message.max.bytes", "4194304");
  set(c, "fetch.max.bytes", "67108864");
  set(c, "queued.max.messages.kbytes", "262144");
  /* librdkafka 2.0 stops fetching a partition whose local queue holds more than queued.min.messages
   * (default 100,000) and looks again only ~1 s later: with small records a fast broker filled the
   * queue and then waited. Raised so that the broker, not that pause, sets the pace. */
  set(c, "queued.min.messages", "10000000");
  set(c, "fetch.wait.max.ms", "100");
  return c;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}
static double pct_ms(int64_t *sorted, size_t n, double q) {
  if (n == 0) return 0;
  size_t i = (size_t)(q * n);
  if (i >= n) i = n - 1;
  return sorted[i] / 1e6;
}

/* ---- produce ------------------------------------------------------------------------------- */
typedef struct {
  long acked, errors;
  char error[256];
} dr_state;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  dr_state *s = opaque;
  if (m->err == 0) s->acked++;
  else {
    if (s->errors++ == 0) snprintf(s->error, sizeof s->error, "%s", rd_kafka_err2str(m->err));
  }
}

static int op_produce(int argc, char **argv) {
  if (argc < 7) die("usage: produce BOOTSTRAP TOPIC COUNT SIZE ACKS [SPREAD] [PROPS]");
  const char *bootstrap = argv[2], *topic = argv[3];
  long count = atol(argv[4]);
  size_t size = (size_t)atol(argv[5]);
  int spread = argc > 7 ? atoi(argv[7]) : 0;
  dr_state st = {0};
  rd_kafka_conf_t *c = producer_conf(bootstrap, argv[6]);
  set_props(c, argc > 8 ? argv[8] : NULL);
  rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
  rd_kafka_conf_set_opaque(c, &st);
  rd_kafka_t *rk = make(RD_KAFKA_PRODUCER, c);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  /* One shared payload, never copied by the client (msgflags 0): printable, not all one byte. */
  char *value = malloc(size);
  for (size_t i = 0; i < size; i++) value[i] = 'a' + (i * 7) % 26;
  double t0 = now_s();
  for (long i = 0; i < count; i++) {
    int32_t part = spread > 0 ? (int32_t)(i % spread) : RD_KAFKA_PARTITION_UA;
    while (rd_kafka_produce(rkt, part, 0, value, size, NULL, 0, NULL) != 0) {
      if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce: %s", rd_kafka_err2str(rd_kafka_last_error()));
      rd_kafka_poll(rk, 1);
    }
    if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 180000);
  double elapsed = now_s() - t0;
  printf("{\"elapsed\":%.6f,\"acked\":%ld,\"errors\":%ld,\"error\":\"%s\",\"librdkafka\":\"%s\"}\n", elapsed, st.acked, st.errors, st.error, rd_kafka_version_str());
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return st.acked == count ? 0 : 1;
}

/* ---- consume (assign, no group coordination) ------------------------------------------------- */
static int op_consume(int argc, char **argv) {
  if (argc < 6) die("usage: consume BOOTSTRAP TOPIC PARTITIONS|FIRST+N COUNT [PROPS]");
  const char *bootstrap = argv[2], *topic = argv[3];
  /* "6": partitions 0-5; "2+2": partitions 2 and 3 (one of several consumer processes). */
  const char *plus = strchr(argv[4], '+');
  int first_partition = plus ? atoi(argv[4]) : 0;
  int partitions = plus ? atoi(plus + 1) : atoi(argv[4]);
  long want = atol(argv[5]);
  rd_kafka_conf_t *c = consumer_conf(bootstrap, "rdbench-consume");
  set_props(c, argc > 6 ? argv[6] : NULL);
  set(c, "enable.partition.eof", "true");
  rd_kafka_t *rk = make(RD_KAFKA_CONSUMER, c);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; p++) rd_kafka_topic_partition_list_add(l, topic, first_partition + p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  double t0 = now_s(), first = 0, deadline = t0 + 300;
  rd_kafka_assign(rk, l);
  long n = 0, bytes = 0;
  int eofs = 0;
  double last = t0;
  while (n < want && eofs < partitions && now_s() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
    if (!m) continue;
    if (m->err == 0) {
      last = now_s();
      if (n == 0) first = last;
      n++;
      bytes += (long)m->len;
    } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      eofs++;
    } else {
      fprintf(stderr, "rdbench: consume: %s\n", rd_kafka_err2str(m->err));
    }
    rd_kafka_message_destroy(m);
  }
  double elapsed = now_s() - t0;
  /* firstAt/lastAt: CLOCK_MONOTONIC in ms, comparable across the processes of one machine. */
  printf("{\"elapsed\":%.6f,\"count\":%ld,\"bytes\":%ld,\"firstMs\":%.3f,\"lastMs\":%.3f,\"firstAt\":%.3f,\"lastAt\":%.3f,\"eofs\":%d}\n", elapsed, n, bytes, first > 0 ? (first - t0) * 1000 : -1, (last - t0) * 1000, first * 1000, last * 1000, eofs);
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return n > 0 ? 0 : 1;
}

/* ---- sequential --------------------------------------------------------------------------- */
static int op_sequential(int argc, char **argv) {
  if (argc < 6) die("usage: sequential BOOTSTRAP TOPIC COUNT SIZE");
  const char *bootstrap = argv[2], *topic = argv[3];
  long count = atol(argv[4]);
  size_t size = (size_t)atol(argv[5]);
  dr_state st = {0};
  rd_kafka_conf_t *c = producer_conf(bootstrap, "all");
  set(c, "linger.ms", "0");
  rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
  rd_kafka_conf_set_opaque(c, &st);
  rd_kafka_t *rk = make(RD_KAFKA_PRODUCER, c);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  char *value = malloc(size);
  memset(value, 's', size);
  /* warm up: metadata, connection */
  rd_kafka_produce(rkt, 0, 0, value, size, NULL, 0, NULL);
  rd_kafka_flush(rk, 30000);
  st.acked = 0;
  int64_t *lat = malloc(sizeof(int64_t) * count);
  double t0 = now_s();
  for (long i = 0; i < count; i++) {
    int64_t s = now_ns();
    long before = st.acked + st.errors;
    if (rd_kafka_produce(rkt, 0, 0, value, size, NULL, 0, NULL) != 0) die("produce: %s", rd_kafka_err2str(rd_kafka_last_error()));
    while (st.acked + st.errors == before) rd_kafka_poll(rk, 1000);
    lat[i] = now_ns() - s;
  }
  double elapsed = now_s() - t0;
  qsort(lat, count, sizeof(int64_t), cmp_i64);
  printf("{\"elapsed\":%.6f,\"acked\":%ld,\"errors\":%ld,\"error\":\"%s\",\"p50\":%.4f,\"p99\":%.4f,\"max\":%.4f}\n", elapsed, st.acked, st.errors, st.error, pct_ms(lat, count, 0.5), pct_ms(lat, count, 0.99), lat[count - 1] / 1e6);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return st.acked == count ? 0 : 1;
}

/* ---- latency ------------------------------------------------------------------------------ */
typedef struct {
  rd_kafka_t *rk;
  long want;
  int64_t *lat;
  volatile long n;
  volatile int ready; /* the consumer saw a warm-up record */
  volatile int stop;
  FILE *slow;
  volatile int64_t t0;
} lat_state;

static void *lat_consumer(void *arg) {
  lat_state *s = arg;
  while (!s->stop && s->n < s->want) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(s->rk, 100);
    if (!m) continue;
    int64_t now = now_ns();
    if (m->err == 0 && m->len >= 8) {
      int64_t sent;
      memcpy(&sent, m->payload, 8);
      if (sent == 0) s->ready = 1;
      else if (s->n < s->want) {
        s->lat[s->n++] = now - sent;
        /* RDBENCH_SLOW=path: the send time (ms since the first record) of records slower than 5 ms */
        if (s->slow && now - sent > 5000000) fprintf(s->slow, "%.1f %.2f\n", (sent - s->t0) / 1e6, (now - sent) / 1e6);
      }
    }
    rd_kafka_message_destroy(m);
  }
  return NULL;
}

static int op_latency(int argc, char **argv) {
  if (argc < 8) die("usage: latency BOOTSTRAP TOPIC RATE SECONDS SIZE ACKS");
  const char *bootstrap = argv[2], *topic = argv[3];
  double rate = atof(argv[4]), seconds = atof(argv[5]);
  size_t size = (size_t)atol(argv[6]);
  if (size < 8) size = 8;
  long total = (long)(rate * seconds);
  dr_state st = {0};
  rd_kafka_conf_t *pc = producer_conf(bootstrap, argv[7]);
  set(pc, "linger.ms", "0");
  rd_kafka_conf_set_dr_msg_cb(pc, dr_cb);
  rd_kafka_conf_set_opaque(pc, &st);
  rd_kafka_t *prk = make(RD_KAFKA_PRODUCER, pc);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(prk, topic, NULL);

  rd_kafka_conf_t *cc = consumer_conf(bootstrap, "rdbench-latency");
  set(cc, "fetch.wait.max.ms", "500");
  set(cc, "fetch.min.bytes", "1");
  rd_kafka_t *crk = make(RD_KAFKA_CONSUMER, cc);
  rd_kafka_poll_set_consumer(crk);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic, 0)->offset = RD_KAFKA_OFFSET_END;
  rd_kafka_assign(crk, l);
  lat_state s = {.rk = crk, .want = total, .lat = malloc(sizeof(int64_t) * (total + 1)), .slow = getenv("RDBENCH_SLOW") ? fopen(getenv("RDBENCH_SLOW"), "w") : NULL};
  pthread_t th;
  pthread_create(&th, NULL, lat_consumer, &s);

  char *value = calloc(1, size);
  memset(value + 8, 'p', size - 8);
  /* warm up until the consumer, parked at the end of the partition, sees a record */
  double wdeadline = now_s() + 30;
  while (!s.ready) {
    if (now_s() > wdeadline) die("latency: the consumer saw no warm-up record in 30 s");
    memset(value, 0, 8);
    rd_kafka_produce(rkt, 0, RD_KAFKA_MSG_F_COPY, value, size, NULL, 0, NULL);
    rd_kafka_poll(prk, 50);
  }
  rd_kafka_flush(prk, 10000);
  usleep(200000);

  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  int64_t start = now_ns();
  s.t0 = start;
  long sent = 0;
  while (sent < total) {
    next.tv_nsec += 1000000;
    if (next.tv_nsec >= 1000000000) {
      next.tv_nsec -= 1000000000;
      next.tv_sec++;
    }
    long due = (long)((double)(now_ns() - start) * rate / 1e9) + 1;
    if (due > total) due = total;
    while (sent < due) {
      int64_t t = now_ns();
      memcpy(value, &t, 8);
      while (rd_kafka_produce(rkt, 0, RD_KAFKA_MSG_F_COPY, value, size, NULL, 0, NULL) != 0) rd_kafka_poll(prk, 1);
      sent++;
    }
    rd_kafka_poll(prk, 0);
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  rd_kafka_flush(prk, 30000);
  double drain_deadline = now_s() + 10;
  while (s.n < total && now_s() < drain_deadline) usleep(10000);
  s.stop = 1;
  pthread_join(th, NULL);
  long n = s.n;
  qsort(s.lat, n, sizeof(int64_t), cmp_i64);
  printf("{\"sent\":%ld,\"count\":%ld,\"errors\":%ld,\"p50\":%.4f,\"p99\":%.4f,\"p999\":%.4f,\"max\":%.4f}\n", sent, n, st.errors, pct_ms(s.lat, n, 0.5), pct_ms(s.lat, n, 0.99), pct_ms(s.lat, n, 0.999),
         n ? s.lat[n - 1] / 1e6 : 0);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(prk);
  rd_kafka_consumer_close(crk);
  rd_kafka_destroy(crk);
  return n == total ? 0 : 1;
}

/* ---- fan-out ------------------------------------------------------------------------------ */
typedef struct {
  rd_kafka_t *rk;
  long want;
  volatile long n;
  volatile int assigned;
  volatile double done_at;
  double join_at;
} fan_member;

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque) {
  fan_member *m = opaque;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_assign(rk, parts);
    if (parts->cnt > 0 && !m->assigned) {
      m->join_at = now_s();
      m->assigned = 1;
    }
  } else {
    rd_kafka_assign(rk, NULL);
  }
}

static volatile int fan_stop = 0;

static void *fan_consumer(void *arg) {
  fan_member *m = arg;
  while (!fan_stop && m->n < m->want) {
    rd_kafka_message_t *msg = rd_kafka_consumer_poll(m->rk, 100);
    if (!msg) continue;
    if (msg->err == 0 && ++m->n >= m->want) m->done_at = now_s();
    rd_kafka_message_destroy(msg);
  }
  return NULL;
}

static int op_fanout(int argc, char **argv) {
  if (argc < 7) die("usage: fanout BOOTSTRAP TOPIC COUNT SIZE GROUPS [SPREAD]");
  const char *bootstrap = argv[2], *topic = argv[3];
  long count = atol(argv[4]);
  size_t size = (size_t)atol(argv[5]);
  int groups = atoi(argv[6]);
  int spread = argc > 7 ? atoi(argv[7]) : 0;
  fan_member *ms = calloc(groups, sizeof(fan_member));
  pthread_t *th = calloc(groups, sizeof(pthread_t));
  char gid[128];
  snprintf(gid, sizeof gid, "%d", (int)getpid());
  double t0 = now_s();
  for (int g = 0; g < groups; g++) {
    char name[200];
    snprintf(name, sizeof name, "rdbench-fan-%s-%s-%d", topic, gid, g);
    rd_kafka_conf_t *c = consumer_conf(bootstrap, name);
    rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
    rd_kafka_conf_set_opaque(c, &ms[g]);
    ms[g].rk = make(RD_KAFKA_CONSUMER, c);
    ms[g].want = count;
    rd_kafka_poll_set_consumer(ms[g].rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(ms[g].rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    pthread_create(&th[g], NULL, fan_consumer, &ms[g]);
  }
  double join_deadline = now_s() + 60;
  for (;;) {
    int all = 1;
    for (int g = 0; g < groups; g++) all &= ms[g].assigned;
    if (all) break;
    if (now_s() > join_deadline) die("fanout: not every group got an assignment in 60 s");
    usleep(2000);
  }
  double joined = now_s();
  dr_state st = {0};
  rd_kafka_conf_t *pc = producer_conf(bootstrap, "1");
  rd_kafka_conf_set_dr_msg_cb(pc, dr_cb);
  rd_kafka_conf_set_opaque(pc, &st);
  rd_kafka_t *prk = make(RD_KAFKA_PRODUCER, pc);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(prk, topic, NULL);
  char *value = malloc(size);
  for (size_t i = 0; i < size; i++) value[i] = 'a' + (i * 7) % 26;
  double p0 = now_s();
  for (long i = 0; i < count; i++) {
    int32_t part = spread > 0 ? (int32_t)(i % spread) : RD_KAFKA_PARTITION_UA;
    while (rd_kafka_produce(rkt, part, 0, value, size, NULL, 0, NULL) != 0) rd_kafka_poll(prk, 1);
    if ((i & 1023) == 0) rd_kafka_poll(prk, 0);
  }
  rd_kafka_flush(prk, 120000);
  double produced = now_s() - p0;
  double deadline = now_s() + 60;
  for (;;) {
    int all = 1;
    for (int g = 0; g < groups; g++) all &= ms[g].done_at > 0;
    if (all || now_s() > deadline) break;
    usleep(2000);
  }
  fan_stop = 1;
  double last = 0;
  long total = 0;
  printf("{\"joinMs\":%.1f,\"produceSecs\":%.6f,\"acked\":%ld,\"groupSecs\":[", (joined - t0) * 1000, produced, st.acked);
  for (int g = 0; g < groups; g++) {
    pthread_join(th[g], NULL);
    double d = ms[g].done_at > 0 ? ms[g].done_at - p0 : -1;
    if (d > last) last = d;
    total += ms[g].n;
    printf("%s%.6f", g ? "," : "", d);
  }
  printf("],\"doneSecs\":%.6f,\"consumed\":%ld}\n", last, total);
  fflush(stdout);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(prk);
  for (int g = 0; g < groups; g++) {
    rd_kafka_consumer_close(ms[g].rk);
    rd_kafka_destroy(ms[g].rk);
  }
  return total == (long)groups * count ? 0 : 1;
}

/* ---- mock cluster ------------------------------------------------------------------------- */
static int op_mock(void) {
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_t *rk = make(RD_KAFKA_PRODUCER, c);
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
  if (!mc) die("mock cluster could not start");
  printf("{\"bootstrap\":\"%s\",\"librdkafka\":\"%s\"}\n", rd_kafka_mock_cluster_bootstraps(mc), rd_kafka_version_str());
  fflush(stdout);
  char line[1024], topic[512];
  int parts;
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "create %511s %d", topic, &parts) == 2) {
      rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topic, parts, 1);
      if (e) printf("error %s\n", rd_kafka_err2str(e));
      else printf("ok\n");
    } else {
      printf("error unknown command\n");
    }
    fflush(stdout);
  }
  /* The cluster dies with the process; destroying it cleanly can take a while. */
  _exit(0);
}

/* ---- loopback ----------------------------------------------------------------------------- */
typedef struct {
  int fd;
  long long bytes;
} lb_state;

static void *lb_reader(void *arg) {
  lb_state *s = arg;
  char *buf = malloc(1 << 20);
  ssize_t r;
  while ((r = read(s->fd, buf, 1 << 20)) > 0) s->bytes += r;
  return NULL;
}

static int op_loopback(int argc, char **argv) {
  long long total = argc > 2 ? atoll(argv[2]) : 4LL << 30;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
  socklen_t alen = sizeof a;
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1) || getsockname(ls, (struct sockaddr *)&a, &alen)) die("loopback: %s", strerror(errno));
  int w = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(w, (struct sockaddr *)&a, sizeof a)) die("loopback connect: %s", strerror(errno));
  lb_state s = {.fd = accept(ls, NULL, NULL)};
  pthread_t th;
  pthread_create(&th, NULL, lb_reader, &s);
  char *buf = malloc(1 << 20);
  memset(buf, 7, 1 << 20);
  double t0 = now_s();
  long long sent = 0;
  while (sent < total) {
    ssize_t n = write(w, buf, 1 << 20);
    if (n <= 0) die("loopback write: %s", strerror(errno));
    sent += n;
  }
  shutdown(w, SHUT_WR);
  pthread_join(th, NULL);
  double secs = now_s() - t0;
  printf("{\"MBps\":%.1f,\"bytes\":%lld}\n", s.bytes / 1e6 / secs, s.bytes);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) die("usage: rdbench produce|consume|sequential|latency|fanout|mock|loopback ...");
  const char *op = argv[1];
  if (!strcmp(op, "produce")) return op_produce(argc, argv);
  if (!strcmp(op, "consume")) return op_consume(argc, argv);
  if (!strcmp(op, "sequential")) return op_sequential(argc, argv);
  if (!strcmp(op, "latency")) return op_latency(argc, argv);
  if (!strcmp(op, "fanout")) return op_fanout(argc, argv);
  if (!strcmp(op, "mock")) return op_mock();
  if (!strcmp(op, "loopback")) return op_loopback(argc, argv);
  die("unknown operation %s", op);
  return 1;
}
