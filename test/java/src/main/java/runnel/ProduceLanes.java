package runnel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces to every partition of --topic in turn until "stop" arrives on stdin (or stdin closes, or
 * --max-ms passes), one record every --interval-ms, and reports what was acknowledged for each
 * record: the replication acceptance test (test/cluster/clients.test.ts) holds that against the
 * partitions' logs. Values are "PREFIX-pP-S" (S counts the records sent to partition P), so each
 * partition is one lane whose acknowledged records must appear in send order.
 *
 * <pre>
 * --bootstrap H:P --topic T --partitions N [--prefix java] [--interval-ms 10] [--max-ms 600000]
 * [--prop k=v]...   (acks=all and enable.idempotence=true unless --prop overrides them)
 * </pre>
 *
 * While running, every 500 ms: {"event":"progress","sent","acked","failed"}. At the end (after a
 * flush): {"sent","acked","failed","errors":[first 10],"attempts":[values in send order],
 * "acks":[[value, partition, offset, seq]...]}.
 */
public final class ProduceLanes {
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

  private static volatile boolean stop = false;

  private static void run(Cli cli, Json out) throws Exception {
    String topic = cli.require("topic");
    int partitions = cli.getInt("partitions", 1);
    String prefix = cli.get("prefix", "java");
    long intervalMs = cli.getLong("interval-ms", 10);
    long maxMs = cli.getLong("max-ms", 600_000);

    Properties p = cli.clientProps();
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
    p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");

    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) if (line.trim().equals("stop")) break;
      } catch (Exception e) {
        // stdin gone: stop as well
      }
      stop = true;
    });
    reader.setDaemon(true);
    reader.start();

    List<String> attempts = new ArrayList<>();
    List<Object> acks = new ArrayList<>();
    Json errors = Json.arr();
    AtomicInteger acked = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    int[] seqs = new int[partitions];
    long deadline = System.currentTimeMillis() + maxMs;
    long nextProgress = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; !stop && System.currentTimeMillis() < deadline; i++) {
        int partition = i % partitions;
        int seq = seqs[partition]++;
        String value = prefix + "-p" + partition + "-" + seq;
        attempts.add(value);
        producer.send(new ProducerRecord<>(topic, partition, null, null, value.getBytes(StandardCharsets.UTF_8)), (md, ex) -> {
          if (ex == null) {
            synchronized (acks) {
              acks.add(List.of(value, md.partition(), md.offset(), seq));
            }
            acked.incrementAndGet();
          } else {
            failed.incrementAndGet();
            synchronized (errors) {
              if (errors.size() < 10) errors.add(Cli.errorJson(ex));
            }
          }
        });
        long now = System.currentTimeMillis();
        if (now >= nextProgress) {
          System.out.println(Json.obj().put("event", "progress").put("sent", attempts.size()).put("acked", acked.get()).put("failed", failed.get()).toString());
          System.out.flush();
          nextProgress = now + 500;
        }
        Thread.sleep(intervalMs);
      }
      producer.flush();
    }
    synchronized (acks) {
      out.put("sent", attempts.size()).put("acked", acked.get()).put("failed", failed.get()).put("errors", errors).put("attempts", attempts).put("acks", acks);
    }
  }
}
