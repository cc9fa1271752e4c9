package runnel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;

/**
 * One admin operation per run, printed as JSON. Per-item operations report each item as its
 * result or {"error":{"class","message"}} and exit 0; a failure of the whole call prints
 * {"error":...} and exits 1.
 *
 * <pre>
 * Admin OP --bootstrap H:P [--timeout-ms 30000] [--prop k=v]...
 *   create-topics     --topic T[,T2] [--partitions 1] [--replication-factor 1] [--config k=v]... [--validate-only]
 *   list-topics       [--internal]
 *   describe-topics   --topic T[,T2]
 *   describe-configs  --topic T | --broker ID  [--all]   (without --all: only non-default entries)
 *   alter-configs     --topic T | --broker ID  [--set k=v]... [--delete k]...   (incremental)
 *   create-partitions --topic T --total N
 *   delete-topics     --topic T[,T2]
 *   delete-records    --topic T --partition P --before OFFSET
 *   describe-cluster
 *   list-groups
 *   describe-groups   --group G[,G2]
 *   list-group-offsets --group G
 *   delete-groups     --group G[,G2]
 *   list-offsets      --topic T [--spec earliest|latest|max-timestamp|TIMESTAMP] [--isolation read_committed]
 * </pre>
 */
public final class Admin {
  public static void main(String[] args) {
    Cli cli = new Cli(args);
    Json out = Json.obj();
    try {
      if (cli.positional.isEmpty()) throw new IllegalArgumentException("usage: Admin OP --bootstrap H:P ...");
      String op = cli.positional.get(0);
      out.put("op", op);
      Properties p = cli.clientProps();
      try (AdminClient admin = AdminClient.create(p)) {
        run(op, cli, admin, out, cli.getLong("timeout-ms", 30_000));
      }
    } catch (Throwable t) {
      out.put("error", Cli.errorJson(t));
    }
    Cli.finish(out);
  }

  private static <T> T get(KafkaFuture<T> f, long timeoutMs) throws Exception {
    return f.get(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** Each item's result, or its error; fn turns a result into JSON. */
  private static <K, T> Json each(Map<K, KafkaFuture<T>> futures, long timeoutMs, java.util.function.Function<T, Object> fn) {
    Json out = Json.obj();
    for (Map.Entry<K, KafkaFuture<T>> e : futures.entrySet()) {
      String name = e.getKey() instanceof ConfigResource cr ? cr.name() : String.valueOf(e.getKey());
      try {
        out.put(name, fn.apply(get(e.getValue(), timeoutMs)));
      } catch (Exception ex) {
        out.put(name, Json.obj().put("error", Cli.errorJson(ex)));
      }
    }
    return out;
  }

  private static ConfigResource resource(Cli cli) {
    if (cli.has("broker")) return new ConfigResource(ConfigResource.Type.BROKER, cli.get("broker", "1"));
    return new ConfigResource(ConfigResource.Type.TOPIC, cli.require("topic"));
  }

  private static Json node(Node n) {
    return n == null ? null : Json.obj().put("id", n.id()).put("host", n.host()).put("port", n.port()).put("rack", n.rack());
  }

  private static List<Integer> ids(List<Node> nodes) {
    List<Integer> out = new ArrayList<>();
    for (Node n : nodes) out.add(n.id());
    return out;
  }

  private static void run(String op, Cli cli, AdminClient admin, Json out, long t) throws Exception {
    switch (op) {
      case "create-topics" -> {
        List<NewTopic> topics = new ArrayList<>();
        Optional<Integer> parts = cli.has("partitions") ? Optional.of(cli.getInt("partitions", 1)) : Optional.empty();
        Optional<Short> rf = cli.has("replication-factor") ? Optional.of((short) cli.getInt("replication-factor", 1)) : Optional.empty();
        for (String name : cli.all("topic")) topics.add(new NewTopic(name, parts, rf).configs(cli.pairs("config")));
        var res = admin.createTopics(topics, new CreateTopicsOptions().validateOnly(cli.getBool("validate-only", false)));
        Json topicsJson = Json.obj();
        for (String name : cli.all("topic")) {
          try {
            get(res.values().get(name), t);
            topicsJson.put(name, Json.obj().put("partitions", get(res.numPartitions(name), t)).put("replicationFactor", get(res.replicationFactor(name), t)));
          } catch (Exception ex) {
            topicsJson.put(name, Json.obj().put("error", Cli.errorJson(ex)));
          }
        }
        out.put("topics", topicsJson);
      }
      case "list-topics" -> {
        var names = get(admin.listTopics(new ListTopicsOptions().listInternal(cli.getBool("internal", false))).names(), t);
        out.put("topics", new ArrayList<>(new java.util.TreeSet<>(names)));
      }
      case "describe-topics" -> {
        Map<String, KafkaFuture<TopicDescription>> fs = admin.describeTopics(cli.all("topic")).topicNameValues();
        out.put("topics", each(fs, t, d -> {
          Json ps = Json.arr();
          for (TopicPartitionInfo pi : d.partitions()) {
            ps.add(Json.obj().put("partition", pi.partition()).put("leader", pi.leader() == null ? null : pi.leader().id())
                .put("replicas", ids(pi.replicas())).put("isr", ids(pi.isr())));
          }
          return Json.obj().put("internal", d.isInternal()).put("topicId", String.valueOf(d.topicId())).put("partitions", ps);
        }));
      }
      case "describe-configs" -> {
        boolean all = cli.getBool("all", false);
        ConfigResource r = resource(cli);
        Map<ConfigResource, KafkaFuture<Config>> fs = admin.describeConfigs(List.of(r), new DescribeConfigsOptions().includeSynonyms(false)).values();
        out.put("configs", each(fs, t, c -> {
          Json entries = Json.obj();
          for (ConfigEntry e : c.entries()) {
            if (!all && e.isDefault()) continue;
            entries.put(e.name(), Json.obj().put("value", e.value()).put("source", e.source().name()).put("readOnly", e.isReadOnly()).put("sensitive", e.isSensitive()));
          }
          return entries;
        }));
      }
      case "alter-configs" -> {
        List<AlterConfigOp> ops = new ArrayList<>();
        for (Map.Entry<String, String> e : cli.pairs("set").entrySet()) ops.add(new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET));
        for (String k : cli.all("delete")) ops.add(new AlterConfigOp(new ConfigEntry(k, null), AlterConfigOp.OpType.DELETE));
        Map<ConfigResource, Collection<AlterConfigOp>> req = new HashMap<>();
        req.put(resource(cli), ops);
        out.put("configs", each(admin.incrementalAlterConfigs(req).values(), t, v -> "ok"));
      }
      case "create-partitions" -> {
        Map<String, NewPartitions> req = new HashMap<>();
        req.put(cli.require("topic"), NewPartitions.increaseTo(cli.getInt("total", 1)));
        out.put("topics", each(admin.createPartitions(req).values(), t, v -> "ok"));
      }
      case "delete-topics" -> out.put("topics", each(admin.deleteTopics(cli.all("topic")).topicNameValues(), t, v -> "ok"));
      case "delete-records" -> {
        Map<TopicPartition, RecordsToDelete> req = new HashMap<>();
        req.put(new TopicPartition(cli.require("topic"), cli.getInt("partition", 0)), RecordsToDelete.beforeOffset(cli.getLong("before", 0)));
        out.put("partitions", each(admin.deleteRecords(req).lowWatermarks(), t, v -> Json.obj().put("lowWatermark", v.lowWatermark())));
      }
      case "describe-cluster" -> {
        DescribeClusterResult r = admin.describeCluster();
        Json nodes = Json.arr();
        for (Node n : get(r.nodes(), t)) nodes.add(node(n));
        out.put("clusterId", get(r.clusterId(), t)).put("controller", node(get(r.controller(), t))).put("nodes", nodes);
      }
      case "list-groups" -> {
        Json groups = Json.obj();
        for (ConsumerGroupListing g : get(admin.listConsumerGroups().all(), t)) {
          groups.put(g.groupId(), Json.obj().put("state", g.groupState().map(Object::toString).orElse(null)).put("simple", g.isSimpleConsumerGroup())
              .put("type", g.type().map(Object::toString).orElse(null)));
        }
        out.put("groups", groups);
      }
      case "describe-groups" -> out.put("groups", each(admin.describeConsumerGroups(cli.all("group")).describedGroups(), t, (ConsumerGroupDescription d) -> {
        Json members = Json.arr();
        for (MemberDescription m : d.members()) {
          List<String> tps = new ArrayList<>();
          for (TopicPartition tp : m.assignment().topicPartitions()) tps.add(tp.topic() + "-" + tp.partition());
          java.util.Collections.sort(tps);
          members.add(Json.obj().put("memberId", m.consumerId()).put("clientId", m.clientId()).put("host", m.host()).put("assignment", tps));
        }
        return Json.obj().put("state", String.valueOf(d.groupState())).put("protocol", d.partitionAssignor()).put("type", String.valueOf(d.type()))
            .put("coordinator", node(d.coordinator())).put("members", members);
      }));
      case "list-group-offsets" -> {
        Map<TopicPartition, OffsetAndMetadata> offs = get(admin.listConsumerGroupOffsets(cli.require("group")).partitionsToOffsetAndMetadata(), t);
        Map<String, Object> sorted = new TreeMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offs.entrySet()) {
          sorted.put(e.getKey().topic() + "-" + e.getKey().partition(), e.getValue() == null ? null : Json.obj().put("offset", e.getValue().offset()).put("metadata", e.getValue().metadata()));
        }
        out.put("offsets", sorted);
      }
      case "delete-groups" -> out.put("groups", each(admin.deleteConsumerGroups(cli.all("group")).deletedGroups(), t, v -> "ok"));
      case "list-offsets" -> {
        String spec = cli.get("spec", "latest");
        OffsetSpec os = switch (spec) {
          case "earliest" -> OffsetSpec.earliest();
          case "latest" -> OffsetSpec.latest();
          case "max-timestamp" -> OffsetSpec.maxTimestamp();
          default -> OffsetSpec.forTimestamp(Long.parseLong(spec));
        };
        Map<TopicPartition, OffsetSpec> req = new HashMap<>();
        for (String topic : cli.all("topic")) {
          for (TopicPartitionInfo pi : get(admin.describeTopics(List.of(topic)).allTopicNames(), t).get(topic).partitions()) {
            req.put(new TopicPartition(topic, pi.partition()), os);
          }
        }
        ListOffsetsOptions opts = new ListOffsetsOptions(cli.get("isolation", "read_uncommitted").equals("read_committed") ? IsolationLevel.READ_COMMITTED : IsolationLevel.READ_UNCOMMITTED);
        Map<TopicPartition, KafkaFuture<ListOffsetsResult.ListOffsetsResultInfo>> fs = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        ListOffsetsResult res = admin.listOffsets(req, opts);
        for (TopicPartition tp : req.keySet()) fs.put(tp, res.partitionResult(tp));
        Json parts = Json.obj();
        for (Map.Entry<TopicPartition, KafkaFuture<ListOffsetsResult.ListOffsetsResultInfo>> e : fs.entrySet()) {
          String name = e.getKey().topic() + "-" + e.getKey().partition();
          try {
            var info = get(e.getValue(), t);
            parts.put(name, Json.obj().put("offset", info.offset()).put("timestamp", info.timestamp()).put("leaderEpoch", info.leaderEpoch().orElse(null)));
          } catch (Exception ex) {
            parts.put(name, Json.obj().put("error", Cli.errorJson(ex)));
          }
        }
        out.put("partitions", parts);
      }
      default -> throw new IllegalArgumentException("unknown op " + op);
    }
  }
}
