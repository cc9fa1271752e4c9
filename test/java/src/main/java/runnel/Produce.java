package runnel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces --count records to --topic and prints what the broker acknowledged.
 *
 * <pre>
 * --bootstrap H:P --topic T [--count 10] [--key-pattern 'k-%d'] [--value-pattern 'value-%d']
 * [--value-size N] [--partition P] [--headers 'h1=v-%d,h2=x'] [--acks all|1|0]
 * [--idempotence true|false] [--compression none|gzip|snappy|lz4|zstd] [--batch-size B]
 * [--linger-ms L] [--max-in-flight N] [--transactional-id ID [--abort]] [--sync]
 * [--timeout-ms 60000] [--prop k=v]...
 * </pre>
 *
 * In patterns, %d is the record index (0-based). Without --key-pattern keys are null. --value-size
 * pads (or cuts) each value to N bytes. Output: {"sent","acked","errors":[first 10],
 * "partitions":{"P":{"count","first","last"}},"offsets":[[P,offset],...] (in send order, up to
 * 10000),"valueChecksum"} — valueChecksum matches Consume's for the same set of values.
 */
public final class Produce {
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

  static byte[] value(String pattern, int i, int size) {
    byte[] v = pattern.replace("%d", Integer.toString(i)).getBytes(StandardCharsets.UTF_8);
    if (size < 0 || size == v.length) return v;
    byte[] padded = new byte[size];
    for (int j = 0; j < size; j++) padded[j] = j < v.length ? v[j] : (byte) ('a' + (i + j) % 26);
    return padded;
  }

  private static void run(Cli cli, Json out) throws Exception {
    String topic = cli.require("topic");
    int count = cli.getInt("count", 10);
    String keyPattern = cli.get("key-pattern", null);
    String valuePattern = cli.get("value-pattern", "value-%d");
    int valueSize = cli.getInt("value-size", -1);
    Integer partition = cli.has("partition") ? cli.getInt("partition", 0) : null;
    Map<String, String> headers = cli.pairs("headers");
    String txnId = cli.get("transactional-id", null);
    boolean sync = cli.getBool("sync", false);
    long timeoutMs = cli.getLong("timeout-ms", 60_000);

    Properties p = cli.clientProps();
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, cli.get("acks", "all"));
    if (cli.has("idempotence")) p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, cli.get("idempotence", "true"));
    if (cli.has("compression")) p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, cli.get("compression", "none"));
    if (cli.has("batch-size")) p.put(ProducerConfig.BATCH_SIZE_CONFIG, cli.get("batch-size", null));
    if (cli.has("linger-ms")) p.put(ProducerConfig.LINGER_MS_CONFIG, cli.get("linger-ms", null));
    if (cli.has("max-in-flight")) p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, cli.get("max-in-flight", null));
    if (txnId != null) p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
    p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(Math.max(timeoutMs, 120_000)));

    List<Future<RecordMetadata>> futures = new ArrayList<>(count);
    long checksum = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      if (txnId != null) {
        producer.initTransactions();
        producer.beginTransaction();
      }
      for (int i = 0; i < count; i++) {
        byte[] key = keyPattern == null ? null : keyPattern.replace("%d", Integer.toString(i)).getBytes(StandardCharsets.UTF_8);
        byte[] val = value(valuePattern, i, valueSize);
        checksum = Cli.checksumAdd(checksum, val);
        RecordHeaders hs = new RecordHeaders();
        for (Map.Entry<String, String> h : headers.entrySet()) {
          hs.add(h.getKey(), h.getValue().replace("%d", Integer.toString(i)).getBytes(StandardCharsets.UTF_8));
        }
        Future<RecordMetadata> f = producer.send(new ProducerRecord<>(topic, partition, null, key, val, hs));
        futures.add(f);
        if (sync) {
          try {
            f.get(timeoutMs, TimeUnit.MILLISECONDS);
          } catch (Exception e) {
            // recorded below
          }
        }
      }
      producer.flush();
      if (txnId != null) {
        if (cli.getBool("abort", false)) producer.abortTransaction();
        else producer.commitTransaction();
      }
    }

    int acked = 0;
    Json errors = Json.arr();
    Map<Integer, long[]> parts = new TreeMap<>();
    Json offsets = Json.arr();
    for (Future<RecordMetadata> f : futures) {
      try {
        RecordMetadata md = f.get(timeoutMs, TimeUnit.MILLISECONDS);
        acked++;
        long off = md.hasOffset() ? md.offset() : -1;
        long[] s = parts.computeIfAbsent(md.partition(), k -> new long[] {0, Long.MAX_VALUE, Long.MIN_VALUE});
        s[0]++;
        s[1] = Math.min(s[1], off);
        s[2] = Math.max(s[2], off);
        if (offsets.size() < 10_000) offsets.add(List.of(md.partition(), off));
      } catch (Exception e) {
        if (errors.size() < 10) errors.add(Cli.errorJson(e));
      }
    }
    Json partsJson = Json.obj();
    for (Map.Entry<Integer, long[]> e : parts.entrySet()) {
      partsJson.put(e.getKey().toString(), Json.obj().put("count", e.getValue()[0]).put("first", e.getValue()[1]).put("last", e.getValue()[2]));
    }
    out.put("sent", futures.size()).put("acked", acked).put("errors", errors).put("partitions", partsJson)
        .put("offsets", offsets).put("valueChecksum", checksum);
  }
}
