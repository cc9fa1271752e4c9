package runnel;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;

/**
 * A Kafka Streams application: reads --input, upper-cases each value (or copies it, or counts the
 * values through a repartition and a changelog topic), writes --output, and stops once --max
 * records were written to the output, or after --timeout-ms.
 *
 * <pre>
 * --bootstrap H:P --application-id ID --input T --output T2 [--op upper|copy|count]
 * [--exactly-once] [--max N] [--timeout-ms 60000] [--prop k=v]...
 * </pre>
 *
 * Output: {"state","processed" (records written to the output),"timedOut"}. State goes to a
 * fresh temp dir.
 */
public final class StreamsPipe {
  public static void main(String[] args) {
    Cli cli = new Cli(args);
    Json out = Json.obj();
    try {
      run(cli, out);
    } catch (Throwable t) {
      out.put("error", Cli.errorJson(t));
    }
    Cli.finish(out);
  }

  private static void run(Cli cli, Json out) throws Exception {
    String op = cli.get("op", "upper");
    long max = cli.getLong("max", Long.MAX_VALUE);
    long timeoutMs = cli.getLong("timeout-ms", 60_000);
    Properties p = cli.clientProps();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, cli.require("application-id"));
    java.nio.file.Path stateDir = Files.createTempDirectory("runnel-streams-");
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class.getName());
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class.getName());
    p.putIfAbsent(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
    p.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
    p.putIfAbsent(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
    if (cli.getBool("exactly-once", false)) p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);

    AtomicLong processed = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    StreamsBuilder b = new StreamsBuilder();
    KStream<byte[], byte[]> in = b.stream(cli.require("input"), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()));
    KStream<byte[], byte[]> result = switch (op) {
      case "copy" -> in;
      case "upper" -> in.mapValues(v -> v == null ? null : new String(v, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
      case "count" -> in.selectKey((k, v) -> v == null ? new byte[0] : v).groupByKey().count().toStream()
          .mapValues(c -> Long.toString(c).getBytes(StandardCharsets.UTF_8));
      default -> throw new IllegalArgumentException("unknown --op " + op);
    };
    // Count what is written to the output (for count: every update, as the cache is off).
    result.peek((k, v) -> {
      if (processed.incrementAndGet() >= max) done.countDown();
    }).to(cli.require("output"), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));

    boolean finished;
    try (KafkaStreams streams = new KafkaStreams(b.build(), p)) {
      streams.setUncaughtExceptionHandler(e -> {
        out.put("error", Cli.errorJson(e));
        done.countDown();
        return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      });
      streams.start();
      finished = done.await(timeoutMs, TimeUnit.MILLISECONDS);
      out.put("state", streams.state().toString());
      // Let the last commit happen so the output is visible to read_committed readers.
      Thread.sleep(Math.min(1000, Long.parseLong(p.getProperty(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)) * 3));
      streams.close(java.time.Duration.ofSeconds(30));
      streams.cleanUp();
    } finally {
      try (var paths = Files.walk(stateDir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    out.put("processed", processed.get()).put("timedOut", !finished);
  }
}
