/**
 * Caps on the /metrics series whose label values clients choose: topics (auto-created by a
 * Metadata request), consumer groups (created by any OffsetCommit or JoinGroup) and the
 * partitions of both. Without them a client could make every scrape as large as it likes (one
 * series per group id) and the counters' memory grow with every topic it ever named.
 *
 * - runnel.metrics.max.label.values: topics and groups a family reports. Per-topic counters fold
 *   the traffic of topics beyond it into topic="(other)" (parentheses cannot occur in a topic
 *   name, so the value never collides); scrape-time gauges leave the extra topics and groups out.
 *   Groups with members come first, so a flood of empty groups cannot push live consumers' lag
 *   out of the scrape.
 * - runnel.metrics.max.partition.series: per-partition series one family reports (topic ×
 *   partition, group × partition), since partitions multiply the label values above.
 *
 * What was left out is itself reported (runnel_metrics_label_values_omitted and
 * runnel_metrics_series_omitted), so a capped scrape is visible on a dashboard.
 */
import type { Labels, PrometheusText } from './prometheus-text.js';

/** The topic label value that carries the counts of topics beyond the cap. */
export const OTHER_TOPICS = '(other)';

export interface MetricsLimits {
  maxLabelValues: number;
  maxPartitionSeries: number;
}

/** Keeps the first `max` of `ids` in `priority` order (false before true), returned sorted. */
export function pickLabelValues(ids: Iterable<string>, max: number, later: (id: string) => boolean = () => false): { kept: string[]; omitted: number } {
  const all = [...ids];
  if (all.length <= max) return { kept: all.sort(), omitted: 0 };
  const first: string[] = [];
  const rest: string[] = [];
  for (const id of all) (later(id) ? rest : first).push(id);
  first.sort();
  rest.sort();
  const kept = first.concat(rest).slice(0, max).sort();
  return { kept, omitted: all.length - kept.length };
}

/** A family that writes at most `max` samples and counts the rest. */
export class CappedFamily {
  private written = 0;
  omitted = 0;

  constructor(
    private readonly w: PrometheusText,
    readonly name: string,
    private readonly max: number,
  ) {}

  sample(value: number, labels: Labels): void {
    if (this.written >= this.max) {
      this.omitted++;
      return;
    }
    this.written++;
    this.w.sample(this.name, value, labels);
  }
}

/** Writes how much each cap left out of this scrape (0 when nothing was). */
export function renderOmitted(w: PrometheusText, labelValues: Array<[label: string, omitted: number]>, families: CappedFamily[]): void {
  w.family('runnel_metrics_label_values_omitted', 'gauge', 'Topics or consumer groups left out of this scrape by runnel.metrics.max.label.values (topic counters fold them into topic="(other)").');
  for (const [label, n] of labelValues) w.sample('runnel_metrics_label_values_omitted', n, { label });
  w.family('runnel_metrics_series_omitted', 'gauge', 'Per-partition series left out of this scrape by runnel.metrics.max.partition.series, by metric.');
  for (const f of families) w.sample('runnel_metrics_series_omitted', f.omitted, { metric: f.name });
}
