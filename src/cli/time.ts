/** Points in time on the command line: epoch milliseconds, or an ISO-8601 date-time (local time without a zone, as Kafka's tools read it). */
import { UsageError } from './args.js';

export function parseTime(text: string, flag: string): number {
  if (/^-?\d+$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${flag} needs epoch milliseconds or a date-time like 2024-05-01T12:00:00.000, not '${text}'`);
  return ms;
}

/** Durations like PT10M / P1D (ISO-8601, as kafka-consumer-groups --by-duration) in milliseconds. */
export function parseIsoDuration(text: string, flag: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) throw new UsageError(`${flag} needs an ISO-8601 duration like PT10M or P1DT2H, not '${text}'`);
  return ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000 + Number(m[4] ?? 0) * 1000;
}
