package runnel;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.Collection;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Consumes from --topic (repeatable) with a group (subscribe) or by assignment, until --max
 * records or --timeout-ms, and prints a summary.
 *
 * <pre>
 * --bootstrap H:P --topic T[,T2] [--group G [--group-protocol classic|consumer]]
 * [--assign T:0,T:1] [--from-beginning] [--max N] [--timeout-ms 30000] [--idle-ms MS]
 * [--commit] [--isolation read_uncommitted|read_committed] [--records] [--last-values] [--until-end]
 * [--prop k=v]...
 * </pre>
 *
 * Without --group and --assign every partition of the topics is assigned. --from-beginning sets
 * auto.offset.reset=earliest (group) or seeks to the beginning (assign). --idle-ms stops after that
 * long without a record once at least one arrived. --until-end stops once a poll returns nothing
 * and every assigned partition's position has reached its end offset (KafkaConsumer.endOffsets:
 * the last stable offset under read_committed), for reading what is already written without
 * waiting out --idle-ms; only for topics nobody writes to meanwhile. --commit commits synchronously at the end, and
 * (with a group subscription) also when a rebalance revokes partitions, so that a member leaving
 * or joining never makes another member re-read what this one counted.
 * Output: {"count","timedOut","partitions":{"T-P":{"count","first","last"}},
 * "keys":{"key":[P,...]} (first 1000 keys),"valueChecksum","headers":n,
 * "records":[[T,P,offset,key|null,value|null,{h:v}],...] (with --records, first 1000),"committed":{"T-P":offset},
 * "lastValues":{"key":value} (with --last-values: each key's newest value, e.g. a table's changelog),
 * "assigned":["T-P",...] (group subscription: every partition this member was ever assigned)}
 */
public final class Consume {
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

  /** Every assigned partition's position at (or past) its end offset. */
  private static boolean caughtUp(KafkaConsumer<byte[], byte[]> consumer, long timeoutMs) {
    java.util.Set<TopicPartition> assigned = consumer.assignment();
    if (assigned.isEmpty()) return false;
    Map<TopicPartition, Long> end = consumer.endOffsets(assigned, Duration.ofMillis(timeoutMs));
    for (TopicPartition tp : assigned) {
      if (consumer.position(tp, Duration.ofMillis(timeoutMs)) < end.get(tp)) return false;
    }
    return true;
  }

  private static String str(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  private static void run(Cli cli, Json out) throws Exception {
    List<String> topics = cli.all("topic");
    String group = cli.get("group", null);
    int max = cli.getInt("max", Integer.MAX_VALUE);
    long timeoutMs = cli.getLong("timeout-ms", 30_000);
    long idleMs = cli.getLong("idle-ms", -1);
    boolean fromBeginning = cli.getBool("from-beginning", false);
    boolean keepRecords = cli.getBool("records", false);
    boolean lastValues = cli.getBool("last-values", false);
    boolean commit = cli.getBool("commit", false);
    boolean untilEnd = cli.getBool("until-end", false);

    Properties p = cli.clientProps();
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
    if (group != null) p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    if (cli.has("group-protocol")) p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, cli.get("group-protocol", "classic"));
    if (cli.has("isolation")) p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, cli.get("isolation", "read_uncommitted"));

    long count = 0;
    long checksum = 0;
    long headerCount = 0;
    boolean timedOut = false;
    Map<String, long[]> parts = new TreeMap<>();
    Map<String, TreeSet<Integer>> keys = new TreeMap<>();
    Json records = Json.arr();
    Json committed = Json.obj();
    Map<String, String> latest = new TreeMap<>();
    TreeSet<String> assigned = new TreeSet<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      if (group != null && !cli.has("assign")) {
        consumer.subscribe(topics, new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (commit && !partitions.isEmpty()) consumer.commitSync(Duration.ofMillis(timeoutMs));
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) assigned.add(tp.topic() + "-" + tp.partition());
          }
        });
      } else {
        List<TopicPartition> tps = new ArrayList<>();
        if (cli.has("assign")) {
          for (String tp : cli.all("assign")) {
            int colon = tp.lastIndexOf(':');
            tps.add(new TopicPartition(tp.substring(0, colon), Integer.parseInt(tp.substring(colon + 1))));
          }
        } else {
          for (String t : topics) {
            for (PartitionInfo pi : consumer.partitionsFor(t, Duration.ofMillis(timeoutMs))) tps.add(new TopicPartition(t, pi.partition()));
          }
        }
        consumer.assign(tps);
        if (fromBeginning) consumer.seekToBeginning(tps);
      }
      long deadline = System.currentTimeMillis() + timeoutMs;
      long lastRecordAt = -1;
      while (count < max) {
        long now = System.currentTimeMillis();
        if (now >= deadline) {
          timedOut = true;
          break;
        }
        if (idleMs >= 0 && lastRecordAt >= 0 && now - lastRecordAt >= idleMs) break;
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(Math.min(200, deadline - now)));
        if (untilEnd && batch.isEmpty() && caughtUp(consumer, timeoutMs)) break;
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          if (count >= max) {
            // Rewind so that a commit does not cover records we did not count.
            consumer.seek(new TopicPartition(r.topic(), r.partition()), r.offset());
            break;
          }
          count++;
          lastRecordAt = System.currentTimeMillis();
          String tp = r.topic() + "-" + r.partition();
          long[] s = parts.computeIfAbsent(tp, k -> new long[] {0, Long.MAX_VALUE, Long.MIN_VALUE});
          s[0]++;
          s[1] = Math.min(s[1], r.offset());
          s[2] = Math.max(s[2], r.offset());
          checksum = Cli.checksumAdd(checksum, r.value());
          String key = str(r.key());
          if (lastValues && key != null) latest.put(key, str(r.value()));
          if (key != null && (keys.size() < 1000 || keys.containsKey(key))) keys.computeIfAbsent(key, k -> new TreeSet<>()).add(r.partition());
          Json hs = Json.obj();
          for (Header h : r.headers()) {
            headerCount++;
            hs.put(h.key(), str(h.value()));
          }
          if (keepRecords && records.size() < 1000) records.add(Json.arr().add(r.topic()).add(r.partition()).add(r.offset()).add(key).add(str(r.value())).add(hs));
        }
      }
      if (commit) {
        consumer.commitSync(Duration.ofMillis(timeoutMs));
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : consumer.committed(consumer.assignment(), Duration.ofMillis(timeoutMs)).entrySet()) {
          if (e.getValue() != null) committed.put(e.getKey().topic() + "-" + e.getKey().partition(), e.getValue().offset());
        }
      }
    }
    Json partsJson = Json.obj();
    for (Map.Entry<String, long[]> e : parts.entrySet()) {
      partsJson.put(e.getKey(), Json.obj().put("count", e.getValue()[0]).put("first", e.getValue()[1]).put("last", e.getValue()[2]));
    }
    out.put("count", count).put("timedOut", timedOut).put("partitions", partsJson).put("keys", keys)
        .put("valueChecksum", checksum).put("headers", headerCount);
    if (keepRecords) out.put("records", records);
    if (commit) out.put("committed", committed);
    if (lastValues) out.put("lastValues", latest);
    if (group != null && !cli.has("assign")) out.put("assigned", new ArrayList<>(assigned));
  }
}
