package runnel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The seed's Kafka Streams example: order totals per key.
 *
 * <pre>
 * orders (key: customer id, value: {"id":"order-17","customer":"c-3","price":12.25})
 *   -> repartition("orders-by-customer")                       (unless --repartition false)
 *   -> groupByKey().aggregate(() -> 0.0, (key, order, total) -> total + order.price)
 *        materialized as the store "order-totals-store" (changelog topic, compacted)
 *   -> toStream().to(output)                                   (key: customer id, value: Double.toString(total))
 * </pre>
 *
 * Streams creates the internal topics {@code <application-id>-orders-by-customer-repartition} and
 * {@code <application-id>-order-totals-store-changelog} through the AdminClient. The explicit
 * repartition step keeps the seed's aggregation (groupByKey on the order's key) while routing the
 * records through a repartition topic, which Streams writes, reads, commits and purges
 * (DeleteRecords) like any re-keyed aggregation.
 *
 * <pre>
 * --bootstrap H:P --application-id ID --input T --output T2 --state-dir DIR
 * [--repartition true|false] [--timeout-ms 120000] [--prop k=v]...
 * </pre>
 *
 * Runs until stdin says "stop" (or is closed), or --timeout-ms. While running it prints JSON lines:
 * {"event":"state","state":S} on each state change and {"event":"progress","aggregated":N} when
 * the number of orders aggregated in this run changes (at most every 100 ms). On "stop" it reads
 * the whole store through interactive queries, closes cleanly (close() commits the processed
 * offsets and flushes the store and its changelog; the member leaves the group) and prints the
 * result as its last line:
 * {"aggregated":N,"store":{"key":"total",...},"state":S,"timedOut":bool}.
 * Processing is at-least-once (Streams' default): a run that is stopped cleanly has committed
 * everything it aggregated, so the next run neither loses nor repeats an order.
 */
public final class OrdersTotals {
  public static final String STORE = "order-totals-store";

  /** An order: its id, the customer (also its key) and its price. */
  public record Order(String id, String customer, double price) {}

  /** JSON serde for orders: {"id":"order-17","customer":"c-3","price":12.25}. */
  static Serde<Order> orderSerde() {
    Serializer<Order> ser = (topic, o) -> o == null ? null
        : Json.obj().put("id", o.id()).put("customer", o.customer()).put("price", o.price()).toString().getBytes(StandardCharsets.UTF_8);
    Deserializer<Order> de = (topic, bytes) -> {
      if (bytes == null) return null;
      String text = new String(bytes, StandardCharsets.UTF_8);
      try {
        Map<String, Object> m = parseFlatObject(text);
        return new Order(String.valueOf(m.get("id")), String.valueOf(m.get("customer")), ((Number) m.get("price")).doubleValue());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("bad order " + text, e);
      }
    };
    return Serdes.serdeFrom(ser, de);
  }

  /** A JSON object whose values are strings, numbers, booleans or null (no nesting). */
  static Map<String, Object> parseFlatObject(String s) {
    Map<String, Object> out = new TreeMap<>();
    int[] i = {0};
    expect(s, i, '{');
    skipWs(s, i);
    if (s.charAt(i[0]) == '}') return out;
    for (;;) {
      skipWs(s, i);
      String key = parseString(s, i);
      expect(s, i, ':');
      skipWs(s, i);
      char c = s.charAt(i[0]);
      Object value;
      if (c == '"') {
        value = parseString(s, i);
      } else {
        int start = i[0];
        while (i[0] < s.length() && ",} \t\r\n".indexOf(s.charAt(i[0])) < 0) i[0]++;
        String word = s.substring(start, i[0]);
        value = switch (word) {
          case "true" -> Boolean.TRUE;
          case "false" -> Boolean.FALSE;
          case "null" -> null;
          default -> Double.parseDouble(word);
        };
      }
      out.put(key, value);
      skipWs(s, i);
      char next = s.charAt(i[0]++);
      if (next == '}') return out;
      if (next != ',') throw new IllegalArgumentException("expected , or } at " + (i[0] - 1));
    }
  }

  private static void skipWs(String s, int[] i) {
    while (i[0] < s.length() && Character.isWhitespace(s.charAt(i[0]))) i[0]++;
  }

  private static void expect(String s, int[] i, char c) {
    skipWs(s, i);
    if (s.charAt(i[0]) != c) throw new IllegalArgumentException("expected " + c + " at " + i[0]);
    i[0]++;
  }

  private static String parseString(String s, int[] i) {
    expect(s, i, '"');
    StringBuilder sb = new StringBuilder();
    for (;;) {
      char c = s.charAt(i[0]++);
      if (c == '"') return sb.toString();
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = s.charAt(i[0]++);
      switch (e) {
        case 'n' -> sb.append('\n');
        case 't' -> sb.append('\t');
        case 'r' -> sb.append('\r');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'u' -> {
          sb.append((char) Integer.parseInt(s.substring(i[0], i[0] + 4), 16));
          i[0] += 4;
        }
        default -> sb.append(e);
      }
    }
  }

  /** Every total in the store (interactive query), retried while a rebalance moves tasks. */
  private static Json readStore(KafkaStreams streams) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    for (;;) {
      try {
        if (streams.state() != KafkaStreams.State.RUNNING) throw new IllegalStateException("state " + streams.state());
        ReadOnlyKeyValueStore<String, Double> kv = streams.store(StoreQueryParameters.fromNameAndType(STORE, QueryableStoreTypes.<String, Double>keyValueStore()));
        Map<String, String> sorted = new TreeMap<>();
        try (KeyValueIterator<String, Double> it = kv.all()) {
          while (it.hasNext()) {
            KeyValue<String, Double> e = it.next();
            sorted.put(e.key, Double.toString(e.value));
          }
        }
        Json store = Json.obj();
        for (Map.Entry<String, String> e : sorted.entrySet()) store.put(e.getKey(), e.getValue());
        return store;
      } catch (RuntimeException e) {
        if (System.currentTimeMillis() > deadline) throw e;
        Thread.sleep(100);
      }
    }
  }

  public static void main(String[] args) {
    Cli cli = new Cli(args);
    Json out = Json.obj();
    try {
      run(cli, out);
    } catch (Throwable t) {
      out.put("error", Cli.errorJson(t));
    }
    silence();
    Cli.finish(out);
  }

  private static boolean quiet;

  /** Prints an event line, unless the result line is due (listeners may fire after close()). */
  private static synchronized void emit(Json line) {
    if (quiet) return;
    System.out.println(line.toString());
    System.out.flush();
  }

  private static synchronized void silence() {
    quiet = true;
  }

  private static void run(Cli cli, Json out) throws Exception {
    long timeoutMs = cli.getLong("timeout-ms", 120_000);
    Properties p = cli.clientProps();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, cli.require("application-id"));
    p.put(StreamsConfig.STATE_DIR_CONFIG, Path.of(cli.require("state-dir")).toAbsolutePath().toString());
    p.putIfAbsent(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
    p.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    p.putIfAbsent(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, "500");

    AtomicLong aggregated = new AtomicLong();
    StreamsBuilder b = new StreamsBuilder();
    Serde<Order> orders = orderSerde();
    KStream<String, Order> in = b.stream(cli.require("input"), Consumed.with(Serdes.String(), orders));
    if (cli.getBool("repartition", true)) {
      in = in.repartition(Repartitioned.<String, Order>as("orders-by-customer").withKeySerde(Serdes.String()).withValueSerde(orders));
    }
    in.groupByKey(Grouped.with(Serdes.String(), orders))
        .aggregate(
            () -> 0.0,
            (key, order, total) -> {
              aggregated.incrementAndGet();
              return total + order.price();
            },
            Materialized.<String, Double, KeyValueStore<Bytes, byte[]>>as(STORE).withKeySerde(Serdes.String()).withValueSerde(Serdes.Double()))
        .toStream()
        .mapValues(total -> Double.toString(total))
        .to(cli.require("output"), Produced.with(Serdes.String(), Serdes.String()));

    CountDownLatch stop = new CountDownLatch(1);
    Thread stdin = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.trim().equals("stop")) break;
        }
      } catch (Exception e) {
        // treat as stop
      }
      stop.countDown();
    }, "stdin");
    stdin.setDaemon(true);

    AtomicReference<Throwable> failure = new AtomicReference<>();
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "progress");
      t.setDaemon(true);
      return t;
    });
    KafkaStreams streams = new KafkaStreams(b.build(), p);
    try {
      streams.setStateListener((now, before) -> emit(Json.obj().put("event", "state").put("state", now.toString())));
      streams.setUncaughtExceptionHandler(e -> {
        failure.compareAndSet(null, e);
        stop.countDown();
        return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      });
      long[] reported = {-1};
      ticker.scheduleAtFixedRate(() -> {
        long n = aggregated.get();
        if (n != reported[0]) {
          reported[0] = n;
          emit(Json.obj().put("event", "progress").put("aggregated", n));
        }
      }, 100, 100, TimeUnit.MILLISECONDS);
      streams.start();
      stdin.start();
      boolean stopped = stop.await(timeoutMs, TimeUnit.MILLISECONDS);
      out.put("timedOut", !stopped);
      if (failure.get() == null) out.put("store", readStore(streams));
      out.put("state", streams.state().toString());
    } finally {
      // Leave the group on close, so that the next run's member is not kept waiting for this one
      // until its session times out (Streams' default is to stay in the group).
      streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(60)));
      ticker.shutdownNow();
    }
    silence();
    out.put("aggregated", aggregated.get());
    if (failure.get() != null) out.put("error", Cli.errorJson(failure.get()));
  }
}
