package runnel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;

/**
 * The Kafka Streams operations people write, in one topology per processing guarantee, and both
 * topologies in one JVM (one KafkaStreams instance each), so that a test starts Java once:
 *
 * <pre>
 * P-orders    (key: customer, value: {"id","customer","price"})
 * P-customers (key: customer, value: region)                       a KTable
 *
 * totals   = orders.groupByKey().aggregate(() -> 0.0, (key, order, total) -> total + order.getPrice(),
 *                                          Materialized.with(Serdes.String(), Serdes.Double()))
 *            totals.toStream().to(P-totals, Produced.with(Serdes.String(), Serdes.Double()))   (issue 21, as written)
 * count    = orders.groupByKey().count()                            -> P-counts   (Long)
 * min, max = orders.mapValues(Order::getPrice).groupByKey().reduce(Math::min | Math::max) -> P-min, P-max (Double)
 * windowed = orders.groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(10 s, 5 s)).aggregate(sum)
 *            .suppress(untilWindowCloses(unbounded())) -> P-windowed (key "customer@windowStartMs", Double)
 * enriched = orders.join(customers, (order, region) -> region + "|" + price)       stream-table join -> P-enriched
 * summary  = totals.join(customers, (total, region) -> region + "|" + total)       KTable-KTable join -> P-summary
 * regions  = summary.groupBy((customer, s) -> (region, total)).reduce(adder +, subtractor -) -> P-region-totals (Double)
 * </pre>
 *
 * P is the prefix of a guarantee (--modes alos=at_least_once,eos=exactly_once_v2); application.id
 * is "aggregates-P". The topics must exist (the test creates them, co-partitioned).
 *
 * <pre>
 * --bootstrap H:P --modes alos=at_least_once,eos=exactly_once_v2 --state-dir DIR [--timeout-ms 300000] [--prop k=v]...
 * </pre>
 *
 * Prints {"event":"state","app":P,"state":S} on each state change; on "stop" (stdin) closes every
 * instance (leaving the group; close() commits) and prints {"apps":{P:state}} as its last line.
 */
public final class StreamsAggregates {
  /** An order as the issue's example has it: a price behind getPrice(). */
  public static final class Order {
    private final String id;
    private final String customer;
    private final double price;

    public Order(String id, String customer, double price) {
      this.id = id;
      this.customer = customer;
      this.price = price;
    }

    public String getId() {
      return id;
    }

    public String getCustomer() {
      return customer;
    }

    public double getPrice() {
      return price;
    }
  }

  /** JSON orders: {"id":"order-17","customer":"c-3","price":12.25}. */
  public static final class OrderSerde implements Serde<Order> {
    @Override
    public Serializer<Order> serializer() {
      return (topic, o) -> o == null ? null
          : Json.obj().put("id", o.getId()).put("customer", o.getCustomer()).put("price", o.getPrice()).toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Deserializer<Order> deserializer() {
      return (topic, bytes) -> {
        if (bytes == null) return null;
        Map<String, Object> m = OrdersTotals.parseFlatObject(new String(bytes, StandardCharsets.UTF_8));
        return new Order(String.valueOf(m.get("id")), String.valueOf(m.get("customer")), ((Number) m.get("price")).doubleValue());
      };
    }
  }

  static Topology topology(String p) {
    StreamsBuilder b = new StreamsBuilder();
    KStream<String, Order> orders = b.stream(p + "-orders", Consumed.with(Serdes.String(), new OrderSerde()));
    KTable<String, String> customers = b.table(p + "-customers", Consumed.with(Serdes.String(), Serdes.String()));

    // The issue's aggregate, as written (default serdes: String keys, Order values); the
    // walkthrough (docs/walkthrough.md) quotes it from here.
    String totalsTopic = p + "-totals";
    KTable<String, Double> totals = orders.groupByKey()
        .aggregate(() -> 0.0, (key, order, total) -> total + order.getPrice(),
                   Materialized.with(Serdes.String(), Serdes.Double()));
    totals.toStream()
        .to(totalsTopic, Produced.with(Serdes.String(), Serdes.Double()));

    orders.groupByKey().count().toStream().to(p + "-counts", Produced.with(Serdes.String(), Serdes.Long()));

    KStream<String, Double> prices = orders.mapValues(Order::getPrice);
    prices.groupByKey(Grouped.with(Serdes.String(), Serdes.Double()))
        .reduce(Math::min, Materialized.with(Serdes.String(), Serdes.Double()))
        .toStream().to(p + "-min", Produced.with(Serdes.String(), Serdes.Double()));
    prices.groupByKey(Grouped.with(Serdes.String(), Serdes.Double()))
        .reduce(Math::max, Materialized.with(Serdes.String(), Serdes.Double()))
        .toStream().to(p + "-max", Produced.with(Serdes.String(), Serdes.Double()));

    orders.groupByKey()
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofSeconds(10), Duration.ofSeconds(5)))
        .aggregate(() -> 0.0, (key, order, total) -> total + order.getPrice(), Materialized.with(Serdes.String(), Serdes.Double()))
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream((wk, total) -> wk.key() + "@" + wk.window().start())
        .to(p + "-windowed", Produced.with(Serdes.String(), Serdes.Double()));

    orders.join(customers, (order, region) -> region + "|" + order.getPrice())
        .to(p + "-enriched", Produced.with(Serdes.String(), Serdes.String()));

    KTable<String, String> summary = totals.join(customers, (total, region) -> region + "|" + total);
    summary.toStream().to(p + "-summary", Produced.with(Serdes.String(), Serdes.String()));
    summary.groupBy((customer, s) -> KeyValue.pair(s.substring(0, s.indexOf('|')), Double.parseDouble(s.substring(s.indexOf('|') + 1))),
                    Grouped.with(Serdes.String(), Serdes.Double()))
        .reduce(Double::sum, (agg, old) -> agg - old, Materialized.with(Serdes.String(), Serdes.Double()))
        .toStream().to(p + "-region-totals", Produced.with(Serdes.String(), Serdes.Double()));
    return b.build();
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

  private static synchronized void emit(Json line) {
    if (quiet) return;
    System.out.println(line.toString());
    System.out.flush();
  }

  private static synchronized void silence() {
    quiet = true;
  }

  private static void run(Cli cli, Json out) throws Exception {
    long timeoutMs = cli.getLong("timeout-ms", 300_000);
    CountDownLatch stop = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<String> names = new ArrayList<>();
    List<KafkaStreams> apps = new ArrayList<>();
    for (String mode : cli.require("modes").split(",")) {
      String[] pg = mode.split("=", 2);
      String p = pg[0];
      Properties props = cli.clientProps();
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, "aggregates-" + p);
      props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, pg[1]);
      props.put(StreamsConfig.STATE_DIR_CONFIG, Path.of(cli.require("state-dir"), p).toAbsolutePath().toString());
      props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
      props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, OrderSerde.class.getName());
      props.putIfAbsent(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
      props.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
      props.putIfAbsent(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0"); // every update goes downstream
      KafkaStreams streams = new KafkaStreams(topology(p), props);
      streams.setStateListener((now, before) -> emit(Json.obj().put("event", "state").put("app", p).put("state", now.toString())));
      streams.setUncaughtExceptionHandler(e -> {
        failure.compareAndSet(null, e);
        stop.countDown();
        return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      });
      names.add(p);
      apps.add(streams);
    }
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
    try {
      for (KafkaStreams s : apps) s.start();
      stdin.start();
      out.put("timedOut", !stop.await(timeoutMs, TimeUnit.MILLISECONDS));
    } finally {
      Json states = Json.obj();
      for (int i = 0; i < apps.size(); i++) {
        apps.get(i).close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(60)));
        states.put(names.get(i), apps.get(i).state().toString());
      }
      silence();
      out.put("apps", states);
    }
    if (failure.get() != null) out.put("error", Cli.errorJson(failure.get()));
  }
}
