/*
 * runnel-sendfile: zero-copy plaintext Fetch responses (src/server/zero-copy.ts loads it).
 *
 * A "job" is one response: its chunks in order — buffers (size prefix, headers, partition fields)
 * and file ranges of segment files — written to a TCP socket that libuv owns. The job works on a
 * dup() of the socket's fd, so libuv closing the original while a worker thread writes can never
 * make the worker write into an fd number reused by something else; abort() shuts the socket down,
 * which ends a worker blocked in poll() at once.
 *
 * run() continues the job on a libuv threadpool thread (napi async work): send() for buffers (with
 * MSG_MORE while more follows, so a partition's few header bytes ride with its records),
 * sendfile(2) for file ranges. The socket is non-blocking (libuv's); on EAGAIN the worker poll()s
 * the fd for POLLOUT — a plain syscall on its own fd, no second libuv handle — for at most
 * `waitMs` in total, then gives the thread back with WOULDBLOCK and the caller retries later, so a
 * client that stops reading never pins a threadpool thread for long. sendfile returning 0 means the
 * file ended before the range did (a segment truncated or deleted under the read): SHORT — the
 * response size is already on the wire, so the caller must close the connection.
 *
 * JS guarantees: one run() at a time per job; close() only when no run() is in flight; nothing
 * else writes to the socket while a job is open (the response writer serialises responses).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ST_DONE = 0, ST_WOULDBLOCK = 1, ST_SHORT = 2, ST_ERROR = 3 };

/* The largest count one sendfile() call takes on Linux. */
#define SENDFILE_MAX 0x7ffff000

typedef struct {
  const char *data; /* a buffer's bytes, or NULL for a file range */
  int fd;
  int64_t pos;
  size_t len;
} item_t;

typedef struct {
  int sock; /* our dup of the socket fd; -1 once closed */
  item_t *items;
  size_t n, idx, off;
  napi_ref chunks; /* keeps the buffers alive while the job is open */
  napi_ref self;   /* keeps the job alive while a run is in flight */
  napi_ref cb;
  napi_async_work work;
  int running;
  int wait_ms;
  int status, err;
  double sent; /* bytes sent by the current run */
} job_t;

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, NULL, "runnel-sendfile: " #call " failed");    \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void execute(napi_env env, void *data) {
  (void)env;
  job_t *j = (job_t *)data;
  int64_t deadline = now_ms() + j->wait_ms;
  j->sent = 0;
  j->err = 0;
  while (j->idx < j->n) {
    item_t *it = &j->items[j->idx];
    size_t left = it->len - j->off;
    if (left == 0) {
      j->idx++;
      j->off = 0;
      continue;
    }
    ssize_t r;
    if (it->data != NULL) {
      int more = j->idx + 1 < j->n ? MSG_MORE : 0;
      r = send(j->sock, it->data + j->off, left, MSG_NOSIGNAL | more);
    } else {
      off_t pos = (off_t)(it->pos + (int64_t)j->off);
      r = sendfile(j->sock, it->fd, &pos, left > SENDFILE_MAX ? SENDFILE_MAX : left);
      if (r == 0) {
        j->status = ST_SHORT;
        return;
      }
    }
    if (r > 0) {
      j->off += (size_t)r;
      j->sent += (double)r;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int64_t wait = deadline - now_ms();
      if (wait <= 0) {
        j->status = ST_WOULDBLOCK;
        return;
      }
      struct pollfd p = {.fd = j->sock, .events = POLLOUT, .revents = 0};
      int pr = poll(&p, 1, (int)wait);
      if (pr == 0) {
        j->status = ST_WOULDBLOCK;
        return;
      }
      if (pr < 0 && errno != EINTR) {
        j->status = ST_ERROR;
        j->err = errno;
        return;
      }
      continue; /* writable, or an error the next write reports */
    }
    j->status = ST_ERROR;
    j->err = errno;
    return;
  }
  j->status = ST_DONE;
}

static void complete(napi_env env, napi_status status, void *data) {
  job_t *j = (job_t *)data;
  napi_value cb, undef, argv[3], ret;
  j->running = 0;
  napi_delete_async_work(env, j->work);
  j->work = NULL;
  napi_get_reference_value(env, j->cb, &cb);
  napi_delete_reference(env, j->cb);
  j->cb = NULL;
  napi_get_undefined(env, &undef);
  if (status == napi_cancelled) {
    j->status = ST_ERROR;
    j->err = ECANCELED;
  }
  napi_create_int32(env, j->status, &argv[0]);
  napi_create_double(env, j->sent, &argv[1]);
  napi_create_int32(env, j->err, &argv[2]);
  napi_ref self = j->self;
  j->self = NULL;
  napi_call_function(env, undef, cb, 3, argv, &ret);
  napi_delete_reference(env, self);
}

static void release_job(napi_env env, job_t *j) {
  if (j->sock >= 0) {
    close(j->sock);
    j->sock = -1;
  }
  if (j->chunks != NULL) {
    napi_delete_reference(env, j->chunks);
    j->chunks = NULL;
  }
  free(j->items);
  j->items = NULL;
  j->n = j->idx = 0;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  job_t *j = (job_t *)data;
  release_job(env, j);
  free(j);
}

static int64_t get_int(napi_env env, napi_value obj, const char *name, int *ok) {
  napi_value v;
  int64_t out = 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_int64(env, v, &out) != napi_ok) *ok = 0;
  return out;
}

/* open(socketFd, chunks: Array<Buffer | {fd, position, length}>) -> job */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  uint32_t n;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_array_length(env, argv[1], &n));
  job_t *j = (job_t *)calloc(1, sizeof(job_t));
  if (j == NULL) {
    napi_throw_error(env, NULL, "runnel-sendfile: out of memory");
    return NULL;
  }
  j->sock = -1;
  j->items = (item_t *)calloc(n > 0 ? n : 1, sizeof(item_t));
  if (j->items == NULL) {
    free(j);
    napi_throw_error(env, NULL, "runnel-sendfile: out of memory");
    return NULL;
  }
  j->n = n;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    bool isbuf = false;
    int ok = 1;
    if (napi_get_element(env, argv[1], i, &el) != napi_ok) ok = 0;
    else if (napi_is_buffer(env, el, &isbuf) != napi_ok) ok = 0;
    else if (isbuf) {
      void *p;
      size_t len;
      if (napi_get_buffer_info(env, el, &p, &len) != napi_ok) ok = 0;
      j->items[i].data = len > 0 ? (const char *)p : "";
      j->items[i].len = len;
    } else {
      j->items[i].fd = (int)get_int(env, el, "fd", &ok);
      j->items[i].pos = get_int(env, el, "position", &ok);
      int64_t len = get_int(env, el, "length", &ok);
      if (j->items[i].fd < 0 || j->items[i].pos < 0 || len < 0) ok = 0;
      j->items[i].len = (size_t)len;
    }
    if (!ok) {
      free(j->items);
      free(j);
      napi_throw_type_error(env, NULL, "runnel-sendfile: chunks must be Buffers or {fd, position, length}");
      return NULL;
    }
  }
  j->sock = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (j->sock < 0) {
    int e = errno;
    free(j->items);
    free(j);
    napi_throw_error(env, NULL, strerror(e));
    return NULL;
  }
  if (napi_create_reference(env, argv[1], 1, &j->chunks) != napi_ok || napi_create_external(env, j, finalize, NULL, &result) != napi_ok) {
    release_job(env, j);
    free(j);
    napi_throw_error(env, NULL, "runnel-sendfile: cannot create the job");
    return NULL;
  }
  return result;
}

static job_t *job_arg(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, "runnel-sendfile: not a job");
    return NULL;
  }
  return (job_t *)p;
}

/* run(job, waitMs, cb(status, sentBytes, errno)) */
static napi_value js_run(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  job_t *j = job_arg(env, argv[0]);
  if (j == NULL) return NULL;
  if (j->running || j->sock < 0) {
    napi_throw_error(env, NULL, "runnel-sendfile: job running or closed");
    return NULL;
  }
  CHECK(napi_get_value_int32(env, argv[1], &j->wait_ms));
  CHECK(napi_create_reference(env, argv[2], 1, &j->cb));
  CHECK(napi_create_reference(env, argv[0], 1, &j->self));
  CHECK(napi_create_string_utf8(env, "runnel-sendfile", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, execute, complete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  j->running = 1;
  return NULL;
}

/* abort(job): shuts the socket down so a run in flight ends now (EPIPE) — the connection is closing. */
static napi_value js_abort(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  job_t *j = job_arg(env, argv[0]);
  if (j == NULL) return NULL;
  if (j->sock >= 0) shutdown(j->sock, SHUT_RDWR);
  return NULL;
}

/* close(job): closes our dup of the socket and lets the buffers go. Not while a run is in flight. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  job_t *j = job_arg(env, argv[0]);
  if (j == NULL) return NULL;
  if (j->running) {
    napi_throw_error(env, NULL, "runnel-sendfile: close while running");
    return NULL;
  }
  release_job(env, j);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"run", NULL, js_run, NULL, NULL, NULL, napi_default, NULL},
      {"abort", NULL, js_abort, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 4, props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
