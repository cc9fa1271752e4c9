package runnel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The admin operations that tests run with the 3.x clients (test/java/kafka3), one per run,
 * printed as one JSON line like runnel.Admin's (which uses 4.x-only accessors such as
 * groupState(), so it is not compiled here).
 *
 * <pre>
 * Admin3 OP --bootstrap H:P [--timeout-ms 30000] [--prop k=v]...
 *   create-topics     --topic T [--partitions 1] [--config k=v]...
 *   list-topics
 *   describe-topics   --topic T
 *   describe-configs  --topic T        (non-default entries)
 *   alter-configs     --topic T --set k=v...   (incremental)
 *   create-partitions --topic T --total N
 *   delete-topics     --topic T
 *   delete-records    --topic T --partition P --before OFFSET
 *   list-offsets      --topic T [--spec earliest|latest|max-timestamp]
 *   describe-cluster
 *   list-groups
 *   describe-groups   --group G
 *   list-group-offsets --group G
 *   delete-groups     --group G
 * </pre>
 */
public final class Admin3 {
  public static void main(String[] args) {
    Cli cli = new Cli(args);
    Json out = Json.obj();
    try (AdminClient admin = AdminClient.create(cli.clientProps())) {
      String op = cli.positional.isEmpty() ? "" : cli.positional.get(0);
      out.put("op", op);
      long t = cli.getLong("timeout-ms", 30_000);
      switch (op) {
        case "create-topics" -> {
          NewTopic nt = new NewTopic(cli.require("topic"), Optional.of(cli.getInt("partitions", 1)), Optional.empty());
          nt.configs(cli.pairs("config"));
          out.put("topics", each(admin.createTopics(List.of(nt)).values(), t, v -> "ok"));
        }
        case "list-topics" -> out.put("topics", new ArrayList<>(new java.util.TreeSet<>(get(admin.listTopics().names(), t))));
        case "describe-topics" -> out.put("topics", each(admin.describeTopics(cli.all("topic")).topicNameValues(), t, (TopicDescription d) -> {
          Json parts = Json.arr();
          for (TopicPartitionInfo p : d.partitions()) {
            parts.add(Json.obj().put("partition", p.partition()).put("leader", p.leader().id()).put("replicas", p.replicas().size()).put("isr", p.isr().size()));
          }
          return Json.obj().put("internal", d.isInternal()).put("topicId", String.valueOf(d.topicId())).put("partitions", parts);
        }));
        case "describe-configs" -> {
          ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, cli.require("topic"));
          Config c = get(admin.describeConfigs(List.of(r)).all(), t).get(r);
          Map<String, Object> entries = new TreeMap<>();
          for (ConfigEntry e : c.entries()) {
            if (e.source() != ConfigEntry.ConfigSource.DEFAULT_CONFIG) entries.put(e.name(), Json.obj().put("value", e.value()).put("source", e.source().name()));
          }
          out.put("configs", entries);
        }
        case "alter-configs" -> {
          ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, cli.require("topic"));
          List<AlterConfigOp> ops = new ArrayList<>();
          for (Map.Entry<String, String> e : cli.pairs("set").entrySet()) ops.add(new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET));
          get(admin.incrementalAlterConfigs(Map.of(r, ops)).all(), t);
          out.put("altered", true);
        }
        case "create-partitions" -> out.put("topics", each(admin.createPartitions(Map.of(cli.require("topic"), NewPartitions.increaseTo(cli.getInt("total", 1)))).values(), t, v -> "ok"));
        case "delete-topics" -> out.put("topics", each(admin.deleteTopics(cli.all("topic")).topicNameValues(), t, v -> "ok"));
        case "delete-records" -> {
          TopicPartition tp = new TopicPartition(cli.require("topic"), cli.getInt("partition", 0));
          long low = get(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(cli.getLong("before", 0)))).lowWatermarks().get(tp), t).lowWatermark();
          out.put("lowWatermark", low);
        }
        case "list-offsets" -> {
          String topic = cli.require("topic");
          String spec = cli.get("spec", "latest");
          OffsetSpec s = switch (spec) {
            case "earliest" -> OffsetSpec.earliest();
            case "max-timestamp" -> OffsetSpec.maxTimestamp();
            default -> OffsetSpec.latest();
          };
          int n = get(admin.describeTopics(List.of(topic)).topicNameValues().get(topic), t).partitions().size();
          Map<TopicPartition, OffsetSpec> req = new HashMap<>();
          for (int p = 0; p < n; p++) req.put(new TopicPartition(topic, p), s);
          Map<String, Object> parts = new TreeMap<>();
          get(admin.listOffsets(req).all(), t).forEach((tp, info) -> parts.put(tp.toString(), Json.obj().put("offset", info.offset()).put("timestamp", info.timestamp())));
          out.put("partitions", parts);
        }
        case "describe-cluster" -> {
          var r = admin.describeCluster();
          out.put("clusterId", get(r.clusterId(), t)).put("controller", get(r.controller(), t).id()).put("nodes", get(r.nodes(), t).size());
        }
        case "list-groups" -> {
          Map<String, Object> groups = new TreeMap<>();
          for (ConsumerGroupListing g : get(admin.listConsumerGroups().all(), t)) {
            groups.put(g.groupId(), Json.obj().put("state", g.state().map(Object::toString).orElse(null)).put("simple", g.isSimpleConsumerGroup()));
          }
          out.put("groups", groups);
        }
        case "describe-groups" -> out.put("groups", each(admin.describeConsumerGroups(cli.all("group")).describedGroups(), t, (ConsumerGroupDescription d) -> {
          Json members = Json.arr();
          for (MemberDescription m : d.members()) {
            List<String> tps = new ArrayList<>();
            for (TopicPartition tp : m.assignment().topicPartitions()) tps.add(tp.topic() + "-" + tp.partition());
            java.util.Collections.sort(tps);
            members.add(Json.obj().put("clientId", m.clientId()).put("assignment", tps));
          }
          return Json.obj().put("state", String.valueOf(d.state())).put("protocol", d.partitionAssignor()).put("members", members);
        }));
        case "list-group-offsets" -> {
          Map<TopicPartition, OffsetAndMetadata> offs = get(admin.listConsumerGroupOffsets(cli.require("group")).partitionsToOffsetAndMetadata(), t);
          Map<String, Object> sorted = new TreeMap<>();
          offs.forEach((tp, o) -> sorted.put(tp.toString(), o == null ? null : o.offset()));
          out.put("offsets", sorted);
        }
        case "delete-groups" -> out.put("groups", each(admin.deleteConsumerGroups(cli.all("group")).deletedGroups(), t, v -> "ok"));
        default -> throw new IllegalArgumentException("unknown operation: " + op);
      }
    } catch (Exception e) {
      out.put("error", Cli.errorJson(e));
    }
    Cli.finish(out);
  }

  private static <T> T get(KafkaFuture<T> f, long timeoutMs) throws Exception {
    return f.get(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** Each item's result, or {"error": ...} for the items that failed. */
  private static <K, V> Map<String, Object> each(Map<K, KafkaFuture<V>> futures, long timeoutMs, java.util.function.Function<V, Object> fn) {
    Map<String, Object> out = new TreeMap<>();
    for (Map.Entry<K, KafkaFuture<V>> e : futures.entrySet()) {
      try {
        out.put(String.valueOf(e.getKey()), fn.apply(get(e.getValue(), timeoutMs)));
      } catch (Exception ex) {
        out.put(String.valueOf(e.getKey()), Json.obj().put("error", Cli.errorJson(ex)));
      }
    }
    return out;
  }

  @SuppressWarnings("unused")
  private static Collection<String> unused() {
    return List.of();
  }
}
