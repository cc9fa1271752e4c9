package runnel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One member of a consumer group, for the group tests: subscribes to --topic (or --pattern), polls
 * until "stop" on stdin (or stdin closes, or --max-ms), and prints one JSON line per event, flushed
 * at once:
 *
 * <pre>
 * {"event":"ready"}
 * {"event":"assigned","partitions":[...],"ts":ms}   partitions added (incremental with group.protocol=consumer)
 * {"event":"revoked","partitions":[...],"ts":ms}    after committing what was processed of them
 * {"event":"lost","partitions":[...],"ts":ms}
 * {"event":"records","values":[...],"where":["T-P@offset",...],"ts":ms}  one poll's records, printed before the commit
 * {"event":"commit_failed","error":"..."}
 * {"event":"closed"}
 * </pre>
 *
 * --bootstrap H:P --group G --topic T | --pattern REGEX (resolved by the broker) [--group-protocol consumer|classic]
 * [--max-ms 600000] [--prop k=v]...
 */
public final class GroupMember {
  private static synchronized void emit(Json j) {
    System.out.println(j.toString());
    System.out.flush();
  }

  private static Json parts(Collection<TopicPartition> ps) {
    Json a = Json.arr();
    TreeSet<String> sorted = new TreeSet<>();
    for (TopicPartition tp : ps) sorted.add(tp.topic() + "-" + tp.partition());
    for (String s : sorted) a.add(s);
    return a;
  }

  public static void main(String[] args) throws Exception {
    Cli cli = new Cli(args);
    Properties p = cli.clientProps();
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.GROUP_ID_CONFIG, cli.get("group", "g"));
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, cli.get("group-protocol", "consumer"));
    long maxMs = cli.getLong("max-ms", 600_000);
    long deadline = System.currentTimeMillis() + maxMs;
    final boolean[] stop = {false};
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) if (line.trim().equals("stop")) break;
      } catch (Exception e) {
        // stdin gone: stop too
      }
      synchronized (stop) {
        stop[0] = true;
      }
    });
    reader.setDaemon(true);
    reader.start();

    Map<TopicPartition, OffsetAndMetadata> processed = new HashMap<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> ps) {
          Map<TopicPartition, OffsetAndMetadata> mine = new HashMap<>();
          for (TopicPartition tp : ps) if (processed.containsKey(tp)) mine.put(tp, processed.remove(tp));
          try {
            if (!mine.isEmpty()) consumer.commitSync(mine);
          } catch (Exception e) {
            emit(Json.obj().put("event", "commit_failed").put("error", e.toString()));
          }
          if (!ps.isEmpty()) emit(Json.obj().put("event", "revoked").put("partitions", parts(ps)).put("ts", System.currentTimeMillis()));
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> ps) {
          if (!ps.isEmpty()) emit(Json.obj().put("event", "assigned").put("partitions", parts(ps)).put("ts", System.currentTimeMillis()));
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> ps) {
          for (TopicPartition tp : ps) processed.remove(tp);
          if (!ps.isEmpty()) emit(Json.obj().put("event", "lost").put("partitions", parts(ps)).put("ts", System.currentTimeMillis()));
        }
      };
      // --pattern: the broker resolves the regex (KIP-848 SubscriptionPattern, RE2/J syntax).
      if (cli.has("pattern")) consumer.subscribe(new org.apache.kafka.clients.consumer.SubscriptionPattern(cli.get("pattern", ".*")), listener);
      else consumer.subscribe(cli.all("topic"), listener);
      emit(Json.obj().put("event", "ready"));
      for (;;) {
        synchronized (stop) {
          if (stop[0]) break;
        }
        if (System.currentTimeMillis() > deadline) break;
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) continue;
        Json values = Json.arr();
        Json where = Json.arr();
        for (ConsumerRecord<String, String> r : records) {
          values.add(r.value());
          where.add(r.topic() + "-" + r.partition() + "@" + r.offset());
          processed.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        emit(Json.obj().put("event", "records").put("values", values).put("where", where).put("ts", System.currentTimeMillis()));
        try {
          consumer.commitSync(processed);
          processed.clear();
        } catch (Exception e) {
          emit(Json.obj().put("event", "commit_failed").put("error", e.toString()));
        }
      }
    }
    emit(Json.obj().put("event", "closed"));
  }
}
