/**
 * JS numbers as Kafka int64 values, for the rare values beyond 2^53 where double arithmetic is not
 * exact: the clamped int64 of a number, and its zig-zag encoding (varlong). The Writer and the
 * varlong size use these only outside the safe range; everything else stays in plain doubles.
 */

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** A number as an int64, clamped to the int64 range (NaN → 0). */
export function toInt64(v: number): bigint {
  if (Number.isNaN(v)) return 0n;
  if (v >= 9223372036854775807) return INT64_MAX;
  if (v <= -9223372036854775808) return INT64_MIN;
  return BigInt(Math.trunc(v));
}

export function zigzag64(v: number): bigint {
  const b = toInt64(v);
  return BigInt.asUintN(64, (b << 1n) ^ (b >> 63n));
}
