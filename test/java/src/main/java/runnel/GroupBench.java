package runnel;

import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The consumer-group rebalance bench's members (bench/groups/rebalance.ts): many KafkaConsumers as
 * threads of ONE JVM (ten JVMs would not fit on a 2-core machine), all in one group, printing a
 * JSON line per event with a timestamp in ms since the start (t0, one monotonic clock for all
 * members). The measuring (settle time, pauses) is done by the bench from these lines.
 *
 * <pre>
 * {"e":"t0","wall":epochMs}
 * {"e":"start","m":i,"t":ms}                     member i subscribes (settle: all at t0 together)
 * {"e":"assigned","m":i,"t":ms,"p":[..]}         partitions added (eager classic: the whole new assignment)
 * {"e":"revoked","m":i,"t":ms,"p":[..]}          / "lost"
 * {"e":"records","m":i,"t":ms,"n":count,"b":bytes}  one non-empty poll
 * {"e":"window","t":ms}                          churn: the group covered the topic, changes start
 * {"e":"leave","m":i,"t":ms} / {"e":"closed","m":i,"t":ms}
 * {"e":"end","t":ms,"complete":bool}
 * </pre>
 *
 * --bootstrap H:P --topic T --group G --protocol classic|classic-coop|consumer --mode settle|churn
 * [--members 10] [--partitions 24] [--quiet-ms 3000] [--max-ms 60000] (settle: ends once every
 * partition has one owner and no callback came for quiet-ms, or at max-ms)
 * [--every-ms 4000] [--duration-ms 20000] (churn: after the window starts, every every-ms the
 * oldest member leaves and a new one joins, 0: never; ends duration-ms later) [--member-mbps 0] (each
 * member processes at most this many MB/s, as an application would: 0 = as fast as it can read)
 */
public final class GroupBench {
  private static final long T0 = System.nanoTime();
  private static final PrintStream OUT = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
  private static final Object LOCK = new Object();
  /** partition -> members owning it (from the callbacks), for the driver's end condition only. */
  private static final Map<Integer, Set<Integer>> OWNERS = new HashMap<>();
  private static volatile double lastCallback = 0;
  /** Bytes per ms each member processes at most (0: no limit); see --member-mbps. */
  private static double bytesPerMs = 0;

  static double now() {
    return (System.nanoTime() - T0) / 1e6;
  }

  static void emit(String json) {
    synchronized (OUT) {
      OUT.println(json);
    }
  }

  static String ev(String e, int m, double t) {
    return String.format("{\"e\":\"%s\",\"m\":%d,\"t\":%.2f", e, m, t);
  }

  static String parts(Collection<TopicPartition> ps) {
    TreeSet<Integer> sorted = new TreeSet<>();
    for (TopicPartition tp : ps) sorted.add(tp.partition());
    StringBuilder b = new StringBuilder("[");
    for (Integer p : sorted) b.append(b.length() > 1 ? "," : "").append(p);
    return b.append("]").toString();
  }

  static boolean complete(int partitions, Set<Integer> live) {
    synchronized (LOCK) {
      Set<Integer> owning = new HashSet<>();
      for (int p = 0; p < partitions; p++) {
        Set<Integer> o = OWNERS.get(p);
        if (o == null || o.size() != 1) return false;
        owning.addAll(o);
      }
      // Each live member has its share (when there are enough partitions for everyone).
      return live.size() > partitions || owning.containsAll(live);
    }
  }

  static final class Member implements Runnable {
    final int id;
    final KafkaConsumer<byte[], byte[]> consumer;
    final String topic;
    final CountDownLatch go;
    volatile boolean stop = false;
    final Thread thread;

    Member(int id, Properties props, String topic, CountDownLatch go) {
      this.id = id;
      Properties p = new Properties();
      p.putAll(props);
      p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-" + id);
      this.consumer = new KafkaConsumer<>(p);
      this.topic = topic;
      this.go = go;
      this.thread = new Thread(this, "member-" + id);
    }

    void change(String e, Collection<TopicPartition> ps, boolean add) {
      double t = now();
      synchronized (LOCK) {
        for (TopicPartition tp : ps) {
          Set<Integer> o = OWNERS.computeIfAbsent(tp.partition(), k -> new HashSet<>());
          if (add) o.add(id);
          else o.remove(id);
        }
        lastCallback = t;
      }
      emit(ev(e, id, t) + ",\"p\":" + parts(ps) + "}");
    }

    @Override
    public void run() {
      try {
        go.await();
        emit(ev("start", id, now()) + "}");
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> ps) {
            if (!ps.isEmpty()) change("revoked", ps, false);
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> ps) {
            if (!ps.isEmpty()) change("assigned", ps, true);
          }

          @Override
          public void onPartitionsLost(Collection<TopicPartition> ps) {
            if (!ps.isEmpty()) change("lost", ps, false);
          }
        });
        double paced = 0;
        while (!stop) {
          ConsumerRecords<byte[], byte[]> records;
          try {
            records = consumer.poll(Duration.ofMillis(100));
          } catch (WakeupException e) {
            break;
          }
          if (records.isEmpty()) continue;
          long bytes = 0;
          for (ConsumerRecord<byte[], byte[]> r : records) bytes += Math.max(0, r.serializedValueSize()) + Math.max(0, r.serializedKeySize());
          double t = now();
          emit(ev("records", id, t) + ",\"n\":" + records.count() + ",\"b\":" + bytes + "}");
          if (bytesPerMs > 0) {
            // Processing time per byte: no credit is saved up over a pause, so a pause is lost throughput.
            paced = Math.max(paced, t) + bytes / bytesPerMs;
            long sleep = (long) (paced - now());
            if (sleep > 0) Thread.sleep(sleep);
          }
        }
        emit(ev("leave", id, now()) + "}");
        consumer.close(); // leaves the group (and commits: auto-commit)
        emit(ev("closed", id, now()) + "}");
      } catch (Throwable e) {
        emit(ev("error", id, now()) + ",\"error\":\"" + e.toString().replace("\\", "\\\\").replace("\"", "'") + "\"}");
      }
    }
  }

  public static void main(String[] args) throws Exception {
    Cli cli = new Cli(args);
    Properties props = cli.clientProps();
    String topic = cli.get("topic", "t");
    String protocol = cli.get("protocol", "consumer");
    String mode = cli.get("mode", "settle");
    int partitions = (int) cli.getLong("partitions", 24);
    bytesPerMs = cli.getLong("member-mbps", 0) * 1e6 / 1000;
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.GROUP_ID_CONFIG, cli.get("group", "g"));
    switch (protocol) {
      case "consumer":
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        props.put(ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG, "uniform");
        break;
      case "classic-coop":
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        break;
      case "classic":
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic"); // default assignors: range (eager) first
        break;
      default:
        throw new IllegalArgumentException("--protocol " + protocol);
    }
    emit("{\"e\":\"t0\",\"wall\":" + System.currentTimeMillis() + "}");
    List<Member> live = new ArrayList<>();
    Set<Integer> liveIds = new HashSet<>();
    int next = 0;
    boolean done;
    if (mode.equals("settle")) {
      int n = (int) cli.getLong("members", 10);
      long quiet = cli.getLong("quiet-ms", 3000);
      long max = cli.getLong("max-ms", 60000);
      CountDownLatch go = new CountDownLatch(1);
      for (int i = 0; i < n; i++) {
        Member m = new Member(next++, props, topic, go);
        live.add(m);
        liveIds.add(m.id);
        m.thread.start();
      }
      double start = now();
      go.countDown(); // every member subscribes now
      for (;;) {
        Thread.sleep(50);
        OUT.flush();
        double t = now();
        done = complete(partitions, liveIds) && t - lastCallback >= quiet;
        if (done || t - start > max) break;
      }
    } else {
      int n = (int) cli.getLong("members", 6);
      long every = cli.getLong("every-ms", 4000);
      long duration = cli.getLong("duration-ms", 20000);
      long max = cli.getLong("max-ms", 60000);
      CountDownLatch go = new CountDownLatch(1);
      for (int i = 0; i < n; i++) {
        Member m = new Member(next++, props, topic, go);
        live.add(m);
        liveIds.add(m.id);
        m.thread.start();
      }
      go.countDown();
      double start = now();
      while (!complete(partitions, liveIds) && now() - start < max) {
        Thread.sleep(50);
        OUT.flush();
      }
      double window = now();
      emit(String.format("{\"e\":\"window\",\"t\":%.2f}", window));
      double nextChange = every > 0 ? window + every : Double.MAX_VALUE; // 0: no changes (the control)
      while (now() - window < duration) {
        Thread.sleep(20);
        OUT.flush();
        if (now() >= nextChange) {
          nextChange += every;
          Member old = live.remove(0);
          liveIds.remove(old.id);
          old.stop = true; // its thread closes the consumer (leaves the group) by itself
          CountDownLatch now = new CountDownLatch(0);
          Member m = new Member(next++, props, topic, now);
          live.add(m);
          liveIds.add(m.id);
          m.thread.start();
        }
      }
      done = true;
    }
    emit(String.format("{\"e\":\"end\",\"t\":%.2f,\"complete\":%b}", now(), complete(partitions, liveIds)));
    OUT.flush();
    // Leave: every member at once (measurement is over).
    List<Thread> threads = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().startsWith("member-")) threads.add(t);
    for (Member m : live) m.stop = true;
    for (Thread t : threads) t.join(30_000);
    OUT.flush();
    System.exit(done ? 0 : 3);
  }
}
