package runnel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Argument parsing shared by the harness programs: {@code --name value} pairs (a name may repeat),
 * bare {@code --flag} (value "true") and positional words. {@code --prop k=v} (repeatable) adds any
 * client property; {@code --bootstrap host:port} is required by every program.
 */
final class Cli {
  final List<String> positional = new ArrayList<>();
  private final Map<String, List<String>> opts = new LinkedHashMap<>();

  Cli(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.startsWith("--")) {
        String name = a.substring(2);
        String value = "true";
        int eq = name.indexOf('=');
        if (eq >= 0) {
          value = name.substring(eq + 1);
          name = name.substring(0, eq);
        } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
          value = args[++i];
        }
        opts.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      } else {
        positional.add(a);
      }
    }
  }

  boolean has(String name) {
    return opts.containsKey(name);
  }

  String get(String name, String dflt) {
    List<String> v = opts.get(name);
    return v == null ? dflt : v.get(v.size() - 1);
  }

  String require(String name) {
    String v = get(name, null);
    if (v == null) throw new IllegalArgumentException("missing --" + name);
    return v;
  }

  int getInt(String name, int dflt) {
    return Integer.parseInt(get(name, Integer.toString(dflt)));
  }

  long getLong(String name, long dflt) {
    return Long.parseLong(get(name, Long.toString(dflt)));
  }

  boolean getBool(String name, boolean dflt) {
    return Boolean.parseBoolean(get(name, Boolean.toString(dflt)));
  }

  /** Every value of a repeatable option; comma-separated values are split too. */
  List<String> all(String name) {
    List<String> out = new ArrayList<>();
    for (String v : opts.getOrDefault(name, List.of())) {
      for (String part : v.split(",")) if (!part.isEmpty()) out.add(part);
    }
    return out;
  }

  /** key=value pairs of a repeatable option (values may not contain commas). */
  Map<String, String> pairs(String name) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String kv : all(name)) {
      int eq = kv.indexOf('=');
      if (eq < 0) out.put(kv, "");
      else out.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return out;
  }

  /** bootstrap.servers, client.id and every --prop k=v (values taken whole, commas allowed). */
  Properties clientProps() {
    Properties p = new Properties();
    p.put("bootstrap.servers", require("bootstrap"));
    if (has("client-id")) p.put("client.id", get("client-id", null));
    for (String kv : opts.getOrDefault("prop", List.of())) {
      int eq = kv.indexOf('=');
      if (eq < 0) throw new IllegalArgumentException("--prop needs k=v: " + kv);
      p.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return p;
  }

  /** Prints the result or the failure as one JSON line and exits (0 ok, 1 failure, 2 bad usage). */
  static void finish(Json result) {
    System.out.println(result.toString());
    System.out.flush();
    System.exit(result.has("error") ? 1 : 0);
  }

  /** {"class": simple name, "message": ...} of the first cause that is not a wrapper. */
  static Json errorJson(Throwable t) {
    Throwable root = t;
    while ((root instanceof java.util.concurrent.ExecutionException || root instanceof java.util.concurrent.CompletionException)
        && root.getCause() != null) {
      root = root.getCause();
    }
    return Json.obj().put("class", root.getClass().getSimpleName()).put("message", String.valueOf(root.getMessage()));
  }

  /** Order-independent checksum of a multiset of values: the sum of their CRC32s mod 2^32. */
  static long checksumAdd(long sum, byte[] value) {
    if (value == null) return sum;
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(value);
    return (sum + crc.getValue()) & 0xffffffffL;
  }
}
