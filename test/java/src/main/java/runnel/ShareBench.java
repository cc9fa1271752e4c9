package runnel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Consume throughput of a share group (KIP-932) or a consumer group, for bench/share: --workers
 * consumers as threads of this one JVM (each its own KafkaShareConsumer / KafkaConsumer) read
 * --topic from the start until --count records were received in total, then close. Prints one
 * JSON line: {"records","bytes","secs","joinSecs","polls","acks"} where secs runs from the first
 * record anyone received to the moment the total reached --count (the group's join is joinSecs).
 *
 * --bootstrap H:P --topic T --group G --count N [--workers 1] [--mode share|classic]
 * [--ack implicit|explicit|explicit-sync] (share: implicit = share.acknowledgement.mode=implicit,
 * the next poll accepts the batch; explicit = acknowledge(record, ACCEPT) for each record, sent
 * with the next poll; explicit-sync = that plus commitSync() after every poll: one
 * ShareAcknowledge round trip per batch) [--group-earliest true] (Kafka: set the GROUP config
 * share.auto.offset.reset=earliest first; Runnel has a broker-wide setting) [--max-ms 120000]
 * [--prop k=v]...
 */
public final class ShareBench {
  public static void main(String[] args) throws Exception {
    Cli cli = new Cli(args);
    String topic = cli.require("topic");
    String group = cli.require("group");
    long count = cli.getLong("count", 100_000);
    int workers = cli.getInt("workers", 1);
    String mode = cli.get("mode", "share");
    String ack = cli.get("ack", "implicit");
    long maxMs = cli.getLong("max-ms", 120_000);
    if (cli.getBool("group-earliest", false)) {
      Properties ap = new Properties();
      ap.put("bootstrap.servers", cli.require("bootstrap"));
      try (AdminClient admin = AdminClient.create(ap)) {
        ConfigResource r = new ConfigResource(ConfigResource.Type.GROUP, group);
        admin.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)))).all().get();
      }
    }
    AtomicLong records = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    AtomicLong polls = new AtomicLong();
    AtomicLong acks = new AtomicLong();
    AtomicLong firstNs = new AtomicLong(0);
    AtomicLong doneNs = new AtomicLong(0);
    List<String> errors = new ArrayList<>();
    long startNs = System.nanoTime();
    long deadline = System.currentTimeMillis() + maxMs;
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      Thread t = new Thread(() -> {
        Properties p = cli.clientProps();
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        try {
          if (mode.equals("share")) {
            p.put("share.acknowledgement.mode", ack.equals("implicit") ? "implicit" : "explicit");
            try (KafkaShareConsumer<byte[], byte[]> c = new KafkaShareConsumer<>(p)) {
              c.subscribe(List.of(topic));
              while (doneNs.get() == 0 && System.currentTimeMillis() < deadline) {
                ConsumerRecords<byte[], byte[]> recs = c.poll(Duration.ofMillis(100));
                polls.incrementAndGet();
                if (recs.isEmpty()) continue;
                long b = 0;
                for (ConsumerRecord<byte[], byte[]> r : recs) {
                  if (r.value() != null) b += r.value().length;
                  if (!ack.equals("implicit")) c.acknowledge(r, AcknowledgeType.ACCEPT);
                }
                if (ack.equals("explicit-sync")) {
                  c.commitSync(Duration.ofSeconds(30));
                  acks.incrementAndGet();
                }
                count(recs.count(), b, records, bytes, firstNs, doneNs, count);
              }
            }
          } else {
            p.put("group.protocol", "classic");
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
              c.subscribe(List.of(topic));
              while (doneNs.get() == 0 && System.currentTimeMillis() < deadline) {
                ConsumerRecords<byte[], byte[]> recs = c.poll(Duration.ofMillis(100));
                polls.incrementAndGet();
                if (recs.isEmpty()) continue;
                long b = 0;
                for (ConsumerRecord<byte[], byte[]> r : recs) if (r.value() != null) b += r.value().length;
                count(recs.count(), b, records, bytes, firstNs, doneNs, count);
              }
            }
          }
        } catch (Throwable e) {
          synchronized (errors) {
            errors.add(e.toString());
          }
        }
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) t.join();
    long end = doneNs.get() == 0 ? System.nanoTime() : doneNs.get();
    long first = firstNs.get() == 0 ? end : firstNs.get();
    Json out = Json.obj()
        .put("records", records.get())
        .put("bytes", bytes.get())
        .put("secs", (end - first) / 1e9)
        .put("joinSecs", (first - startNs) / 1e9)
        .put("polls", polls.get())
        .put("acks", acks.get())
        .put("complete", doneNs.get() != 0);
    if (!errors.isEmpty()) out.put("error", String.join("; ", errors.subList(0, Math.min(3, errors.size()))));
    Cli.finish(out);
  }

  private static void count(int n, long b, AtomicLong records, AtomicLong bytes, AtomicLong firstNs, AtomicLong doneNs, long count) {
    long now = System.nanoTime();
    firstNs.compareAndSet(0, now);
    bytes.addAndGet(b);
    if (records.addAndGet(n) >= count) doneNs.compareAndSet(0, now);
  }
}
