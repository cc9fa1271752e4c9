package runnel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One worker of a share group (KIP-932's KafkaShareConsumer, explicit acknowledgement), for the
 * share group tests: subscribes to --topic, polls until "stop" on stdin (or stdin closes, or
 * --max-ms), acknowledges every record and prints one JSON line per poll, flushed before the
 * acknowledgements are committed:
 *
 * <pre>
 * {"event":"ready"}
 * {"event":"records","items":[["value","T-P@offset",deliveryCount,"accept|release|reject"],...],"ts":ms}
 * {"event":"ack_failed","error":"..."[,"partition":"T-P"]}   (for the batch printed just before)
 * {"event":"closed"}
 * </pre>
 *
 * --bootstrap H:P --group G --topic T [--fail VALUE] (that value is released every time: a poison
 * message) [--fail-action release|reject] [--fail-delay-ms N] (it takes N ms to fail: prints
 * {"event":"failing",...} when it starts) [--release-first true] (every record released once, then
 * accepted) [--hang-after N] (after N records stop acknowledging and polling: a stuck worker)
 * [--max-ms 600000] [--delay-ms N] (a pause after each poll's records: slow work) [--prop k=v]...
 */
public final class ShareWorker {
  private static synchronized void emit(Json j) {
    System.out.println(j.toString());
    System.out.flush();
  }

  public static void main(String[] args) throws Exception {
    Cli cli = new Cli(args);
    Properties p = cli.clientProps();
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, cli.get("group", "g"));
    p.putIfAbsent("share.acknowledgement.mode", "explicit");
    String fail = cli.get("fail", null);
    AcknowledgeType failAction = cli.get("fail-action", "release").equals("reject") ? AcknowledgeType.REJECT : AcknowledgeType.RELEASE;
    boolean releaseFirst = cli.getBool("release-first", false);
    long hangAfter = cli.getLong("hang-after", -1);
    long failDelayMs = cli.getLong("fail-delay-ms", 0);
    long delayMs = cli.getLong("delay-ms", 0);
    long deadline = System.currentTimeMillis() + cli.getLong("max-ms", 600_000);
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

    Set<String> released = new HashSet<>();
    long seen = 0;
    try (KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(p)) {
      consumer.subscribe(cli.all("topic"));
      emit(Json.obj().put("event", "ready"));
      while (System.currentTimeMillis() < deadline) {
        synchronized (stop) {
          if (stop[0]) break;
        }
        ConsumerRecords<String, String> recs = consumer.poll(Duration.ofMillis(200));
        if (recs.isEmpty()) continue;
        Json items = Json.arr();
        for (ConsumerRecord<String, String> r : recs) {
          String where = r.topic() + "-" + r.partition() + "@" + r.offset();
          int dc = r.deliveryCount().orElse((short) -1);
          seen++;
          if (hangAfter >= 0 && seen > hangAfter) {
            // A stuck worker: what it holds is never acknowledged; it stays in the group until killed.
            emit(Json.obj().put("event", "records").put("items", items).put("ts", System.currentTimeMillis()));
            emit(Json.obj().put("event", "hung"));
            Thread.sleep(Long.MAX_VALUE);
          }
          String action;
          if (fail != null && fail.equals(r.value())) {
            if (failDelayMs > 0) {
              // A job that takes a while to fail: the delivery is visible before its RELEASE is sent.
              emit(Json.obj().put("event", "failing").put("item", Json.arr().add(r.value()).add(where).add(dc)).put("ts", System.currentTimeMillis()));
              Thread.sleep(failDelayMs);
            }
            consumer.acknowledge(r, failAction);
            action = failAction == AcknowledgeType.REJECT ? "reject" : "release";
          } else if (releaseFirst && released.add(where)) {
            consumer.acknowledge(r, AcknowledgeType.RELEASE);
            action = "release";
          } else {
            consumer.acknowledge(r, AcknowledgeType.ACCEPT);
            action = "accept";
          }
          items.add(Json.arr().add(r.value()).add(where).add(dc).add(action));
        }
        emit(Json.obj().put("event", "records").put("items", items).put("ts", System.currentTimeMillis()));
        if (delayMs > 0) Thread.sleep(delayMs);
        try {
          // commitSync reports per-partition failures in its result rather than throwing.
          for (var e : consumer.commitSync(Duration.ofSeconds(10)).entrySet()) {
            if (e.getValue().isPresent()) emit(Json.obj().put("event", "ack_failed").put("partition", e.getKey().topic() + "-" + e.getKey().partition()).put("error", e.getValue().get().toString()));
          }
        } catch (Exception e) {
          emit(Json.obj().put("event", "ack_failed").put("error", e.toString()));
        }
      }
    }
    emit(Json.obj().put("event", "closed"));
  }
}
