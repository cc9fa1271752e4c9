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
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartitionReplica;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

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
 *   list-offsets      --topic T [--spec earliest|latest|max-timestamp|earliest-local|latest-tiered|earliest-pending-upload|TIMESTAMP] [--isolation read_committed]
 *   alter-group-offsets --group G --topic T --partition P --offset O [--leader-epoch E]
 *   describe-log-dirs [--broker 1]
 *   describe-replica-log-dirs --topic T --partition P [--broker 1]
 *   describe-acls     (every ACL)
 *   create-acls       --topic T --principal User:x [--operation READ]
 *   delete-acls       (every ACL)
 *   elect-leaders     [--type preferred|unclean] [--topic T --partition P]   (no --topic: every partition)
 *   list-reassignments
 *   alter-reassignments --topic T --partition P (--replicas 1[,2] | --cancel)
 *   describe-client-quotas
 *   describe-scram    [--user U[,U2]]   (no --user: every user)
 *   describe-producers --topic T --partition P[,P2]
 *   list-transactions [--state S]... [--duration-ms MS] [--pattern REGEX]
 *   describe-transactions --id X[,Y]
 *   describe-features
 *   update-features   --feature NAME=LEVEL[,NAME2=LEVEL2] [--type upgrade|safe-downgrade|unsafe-downgrade] [--validate-only]
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
      case "describe-features" -> {
        org.apache.kafka.clients.admin.FeatureMetadata m = get(admin.describeFeatures().featureMetadata(), t);
        Json finalized = Json.obj();
        m.finalizedFeatures().forEach((name, r) -> finalized.put(name, r.maxVersionLevel()));
        Json supported = Json.obj();
        m.supportedFeatures().forEach((name, r) -> supported.put(name, r.minVersion() + "-" + r.maxVersion()));
        out.put("finalized", finalized).put("supported", supported).put("epoch", m.finalizedFeaturesEpoch().orElse(-1L));
      }
      case "update-features" -> {
        org.apache.kafka.clients.admin.FeatureUpdate.UpgradeType type = switch (cli.get("type", "upgrade")) {
          case "safe-downgrade" -> org.apache.kafka.clients.admin.FeatureUpdate.UpgradeType.SAFE_DOWNGRADE;
          case "unsafe-downgrade" -> org.apache.kafka.clients.admin.FeatureUpdate.UpgradeType.UNSAFE_DOWNGRADE;
          default -> org.apache.kafka.clients.admin.FeatureUpdate.UpgradeType.UPGRADE;
        };
        Map<String, org.apache.kafka.clients.admin.FeatureUpdate> updates = new java.util.LinkedHashMap<>();
        for (String f : cli.all("feature")) {
          String[] kv = f.split("=", 2);
          updates.put(kv[0], new org.apache.kafka.clients.admin.FeatureUpdate(Short.parseShort(kv[1]), type));
        }
        var opts = new org.apache.kafka.clients.admin.UpdateFeaturesOptions().validateOnly(cli.has("validate-only"));
        out.put("features", each(admin.updateFeatures(updates, opts).values(), t, v -> "ok"));
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
          case "earliest-local" -> OffsetSpec.earliestLocal();
          case "latest-tiered" -> OffsetSpec.latestTiered();
          case "earliest-pending-upload" -> OffsetSpec.earliestPendingUpload();
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
      case "alter-group-offsets" -> {
        Map<TopicPartition, OffsetAndMetadata> req = new HashMap<>();
        Optional<Integer> epoch = cli.has("leader-epoch") ? Optional.of(cli.getInt("leader-epoch", 0)) : Optional.empty();
        req.put(new TopicPartition(cli.require("topic"), cli.getInt("partition", 0)), new OffsetAndMetadata(cli.getLong("offset", 0), epoch, ""));
        get(admin.alterConsumerGroupOffsets(cli.require("group"), req).all(), t);
        out.put("ok", true);
      }
      case "describe-log-dirs" -> {
        int brokerId = cli.getInt("broker", 1);
        Map<Integer, Map<String, LogDirDescription>> all = get(admin.describeLogDirs(List.of(brokerId)).allDescriptions(), t);
        Json brokers = Json.obj();
        for (Map.Entry<Integer, Map<String, LogDirDescription>> b : all.entrySet()) {
          Json dirs = Json.obj();
          for (Map.Entry<String, LogDirDescription> d : b.getValue().entrySet()) {
            Map<String, Object> replicas = new TreeMap<>();
            for (Map.Entry<TopicPartition, ReplicaInfo> r : d.getValue().replicaInfos().entrySet()) {
              replicas.put(r.getKey().toString(), Json.obj().put("size", r.getValue().size()).put("offsetLag", r.getValue().offsetLag()).put("isFuture", r.getValue().isFuture()));
            }
            LogDirDescription dd = d.getValue();
            dirs.put(d.getKey(), Json.obj().put("error", dd.error() == null ? null : dd.error().getClass().getSimpleName())
                .put("totalBytes", dd.totalBytes().isPresent() ? dd.totalBytes().getAsLong() : null)
                .put("usableBytes", dd.usableBytes().isPresent() ? dd.usableBytes().getAsLong() : null)
                .put("replicas", replicas));
          }
          brokers.put(String.valueOf(b.getKey()), dirs);
        }
        out.put("brokers", brokers);
      }
      case "describe-replica-log-dirs" -> {
        TopicPartitionReplica r = new TopicPartitionReplica(cli.require("topic"), cli.getInt("partition", 0), cli.getInt("broker", 1));
        var info = get(admin.describeReplicaLogDirs(List.of(r)).values().get(r), t);
        out.put("logDir", info.getCurrentReplicaLogDir()).put("offsetLag", info.getCurrentReplicaOffsetLag())
            .put("futureLogDir", info.getFutureReplicaLogDir());
      }
      case "describe-acls" -> {
        Json acls = Json.arr();
        for (AclBinding b : get(admin.describeAcls(AclBindingFilter.ANY).values(), t)) acls.add(b.toString());
        out.put("acls", acls);
      }
      case "create-acls" -> {
        AclBinding b = new AclBinding(new ResourcePattern(ResourceType.TOPIC, cli.require("topic"), PatternType.LITERAL),
            new AccessControlEntry(cli.require("principal"), "*", AclOperation.fromString(cli.get("operation", "READ")), AclPermissionType.ALLOW));
        out.put("acls", each(admin.createAcls(List.of(b)).values(), t, v -> "ok"));
      }
      case "delete-acls" -> out.put("filters", each(admin.deleteAcls(List.of(AclBindingFilter.ANY)).values(), t, v -> {
        Json deleted = Json.arr();
        for (var r : v.values()) deleted.add(String.valueOf(r.binding()));
        return deleted;
      }));
      case "elect-leaders" -> {
        ElectionType type = cli.get("type", "preferred").equals("unclean") ? ElectionType.UNCLEAN : ElectionType.PREFERRED;
        java.util.Set<TopicPartition> tps = null;
        if (cli.has("topic")) {
          tps = new java.util.HashSet<>();
          for (String part : cli.all("partition")) tps.add(new TopicPartition(cli.require("topic"), Integer.parseInt(part)));
        }
        Map<TopicPartition, Optional<Throwable>> res = get(admin.electLeaders(type, tps).partitions(), t);
        Map<String, Object> parts = new TreeMap<>();
        for (Map.Entry<TopicPartition, Optional<Throwable>> e : res.entrySet()) {
          parts.put(e.getKey().toString(), e.getValue().isPresent() ? Json.obj().put("error", Cli.errorJson(e.getValue().get())) : "ok");
        }
        out.put("partitions", parts);
      }
      case "list-reassignments" -> {
        Map<String, Object> parts = new TreeMap<>();
        for (Map.Entry<TopicPartition, PartitionReassignment> e : get(admin.listPartitionReassignments().reassignments(), t).entrySet()) {
          parts.put(e.getKey().toString(), Json.obj().put("replicas", e.getValue().replicas()).put("adding", e.getValue().addingReplicas()).put("removing", e.getValue().removingReplicas()));
        }
        out.put("reassignments", parts);
      }
      case "alter-reassignments" -> {
        Map<TopicPartition, Optional<NewPartitionReassignment>> req = new HashMap<>();
        Optional<NewPartitionReassignment> target = Optional.empty();
        if (!cli.getBool("cancel", false)) {
          List<Integer> replicas = new ArrayList<>();
          for (String r : cli.all("replicas")) replicas.add(Integer.parseInt(r));
          target = Optional.of(new NewPartitionReassignment(replicas));
        }
        req.put(new TopicPartition(cli.require("topic"), cli.getInt("partition", 0)), target);
        out.put("partitions", each(admin.alterPartitionReassignments(req).values(), t, v -> "ok"));
      }
      case "describe-client-quotas" -> {
        Json entities = Json.arr();
        for (Map.Entry<ClientQuotaEntity, Map<String, Double>> e : get(admin.describeClientQuotas(ClientQuotaFilter.all()).entities(), t).entrySet()) {
          entities.add(Json.obj().put("entity", String.valueOf(e.getKey())).put("quotas", new TreeMap<>(e.getValue())));
        }
        out.put("entities", entities);
      }
      case "describe-scram" -> {
        List<String> users = cli.has("user") ? cli.all("user") : null;
        var res = admin.describeUserScramCredentials(users);
        if (users == null) {
          Json all = Json.obj();
          for (Map.Entry<String, UserScramCredentialsDescription> e : get(res.all(), t).entrySet()) {
            Json creds = Json.arr();
            for (ScramCredentialInfo ci : e.getValue().credentialInfos()) creds.add(ci.mechanism() + ":" + ci.iterations());
            all.put(e.getKey(), creds);
          }
          out.put("users", all);
        } else {
          Json each = Json.obj();
          for (String u : users) {
            try {
              UserScramCredentialsDescription d = get(res.description(u), t);
              each.put(u, d.credentialInfos().size());
            } catch (Exception ex) {
              each.put(u, Json.obj().put("error", Cli.errorJson(ex)));
            }
          }
          out.put("users", each);
        }
      }
      case "describe-producers" -> {
        List<TopicPartition> tps = new ArrayList<>();
        for (String part : cli.all("partition")) tps.add(new TopicPartition(cli.require("topic"), Integer.parseInt(part)));
        var res = admin.describeProducers(tps);
        Json parts = Json.obj();
        for (TopicPartition tp : tps) {
          try {
            Json producers = Json.arr();
            for (ProducerState ps : get(res.partitionResult(tp), t).activeProducers()) {
              producers.add(Json.obj().put("producerId", ps.producerId()).put("producerEpoch", ps.producerEpoch()).put("lastSequence", ps.lastSequence())
                  .put("lastTimestamp", ps.lastTimestamp()).put("coordinatorEpoch", ps.coordinatorEpoch().isPresent() ? ps.coordinatorEpoch().getAsInt() : null)
                  .put("currentTxnStartOffset", ps.currentTransactionStartOffset().isPresent() ? ps.currentTransactionStartOffset().getAsLong() : null));
            }
            parts.put(tp.toString(), producers);
          } catch (Exception ex) {
            parts.put(tp.toString(), Json.obj().put("error", Cli.errorJson(ex)));
          }
        }
        out.put("partitions", parts);
      }
      case "list-transactions" -> {
        ListTransactionsOptions o = new ListTransactionsOptions();
        if (cli.has("state")) {
          List<org.apache.kafka.clients.admin.TransactionState> states = new ArrayList<>();
          for (String st : cli.all("state")) states.add(org.apache.kafka.clients.admin.TransactionState.parse(st));
          o.filterStates(states);
        }
        if (cli.has("duration-ms")) o.filterOnDuration(cli.getLong("duration-ms", 0));
        if (cli.has("pattern")) o.filterOnTransactionalIdPattern(cli.require("pattern"));
        Map<String, Object> txns = new TreeMap<>();
        for (TransactionListing l : get(admin.listTransactions(o).all(), t)) {
          txns.put(l.transactionalId(), Json.obj().put("producerId", l.producerId()).put("state", l.state().toString()));
        }
        out.put("transactions", txns);
      }
      case "describe-transactions" -> {
        var res = admin.describeTransactions(cli.all("id"));
        Map<String, KafkaFuture<TransactionDescription>> fs = new java.util.LinkedHashMap<>();
        for (String id : cli.all("id")) fs.put(id, res.description(id));
        out.put("transactions", each(fs, t, (TransactionDescription d) -> {
        List<String> tps = new ArrayList<>();
        for (TopicPartition tp : d.topicPartitions()) tps.add(tp.toString());
        return Json.obj().put("coordinatorId", d.coordinatorId()).put("state", d.state().toString()).put("producerId", d.producerId())
            .put("producerEpoch", d.producerEpoch()).put("timeoutMs", d.transactionTimeoutMs())
            .put("startTimeMs", d.transactionStartTimeMs().isPresent() ? d.transactionStartTimeMs().getAsLong() : null).put("topicPartitions", tps);
        }));
      }
      default -> throw new IllegalArgumentException("unknown op " + op);
    }
  }
}
