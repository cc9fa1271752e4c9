package runnel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A minimal JSON builder (objects keep insertion order), so the harness needs no JSON library. */
final class Json {
  private final Map<String, Object> obj;
  private final List<Object> arr;

  private Json(Map<String, Object> obj, List<Object> arr) {
    this.obj = obj;
    this.arr = arr;
  }

  static Json obj() {
    return new Json(new LinkedHashMap<>(), null);
  }

  static Json arr() {
    return new Json(null, new ArrayList<>());
  }

  Json put(String key, Object value) {
    obj.put(key, value);
    return this;
  }

  boolean has(String key) {
    return obj != null && obj.containsKey(key);
  }

  Object get(String key) {
    return obj.get(key);
  }

  /** The nested object under key, created when absent. */
  Json child(String key) {
    return (Json) obj.computeIfAbsent(key, k -> Json.obj());
  }

  Json add(Object value) {
    arr.add(value);
    return this;
  }

  int size() {
    return obj != null ? obj.size() : arr.size();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    write(sb, this);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Json j) {
      if (j.obj != null) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : j.obj.entrySet()) {
          if (!first) sb.append(',');
          first = false;
          str(sb, e.getKey());
          sb.append(':');
          write(sb, e.getValue());
        }
        sb.append('}');
      } else {
        writeAll(sb, j.arr);
      }
    } else if (v instanceof Collection<?> c) {
      writeAll(sb, c);
    } else if (v instanceof Map<?, ?> m) {
      Json j = Json.obj();
      for (Map.Entry<?, ?> e : m.entrySet()) j.put(String.valueOf(e.getKey()), e.getValue());
      write(sb, j);
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else {
      str(sb, v.toString());
    }
  }

  private static void writeAll(StringBuilder sb, Collection<?> c) {
    sb.append('[');
    boolean first = true;
    for (Object o : c) {
      if (!first) sb.append(',');
      first = false;
      write(sb, o);
    }
    sb.append(']');
  }

  private static void str(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    sb.append('"');
  }
}
