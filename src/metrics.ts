/**
 * Broker metrics with the names Kafka dashboards expect (as the JMX exporter renders them),
 * in Prometheus text format. Counters only move forward; per-topic series carry a `topic` label.
 */

class TopicCounter {
  readonly total = new Map<string, number>();
  all = 0;
  add(topic: string, n: number): void {
    this.all += n;
    this.total.set(topic, (this.total.get(topic) ?? 0) + n);
  }
}

export class Metrics {
  readonly messagesInCounter = new TopicCounter();
  readonly bytesInCounter = new TopicCounter();
  readonly bytesOutCounter = new TopicCounter();
  readonly requests = new Map<string, number>();

  messagesIn(topic: string, records: number, bytes: number): void {
    this.messagesInCounter.add(topic, records);
    this.bytesInCounter.add(topic, bytes);
  }

  bytesOut(topic: string, bytes: number): void {
    this.bytesOutCounter.add(topic, bytes);
  }

  request(api: string): void {
    this.requests.set(api, (this.requests.get(api) ?? 0) + 1);
  }

  render(): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, c: TopicCounter) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${c.all}`);
      for (const [topic, v] of c.total) lines.push(`${name}{topic="${topic}"} ${v}`);
    };
    counter('kafka_server_brokertopicmetrics_messagesin_total', 'Records appended.', this.messagesInCounter);
    counter('kafka_server_brokertopicmetrics_bytesin_total', 'Record batch bytes appended.', this.bytesInCounter);
    counter('kafka_server_brokertopicmetrics_bytesout_total', 'Record batch bytes sent to consumers.', this.bytesOutCounter);
    lines.push('# HELP kafka_network_requestmetrics_requests_total Requests by API.', '# TYPE kafka_network_requestmetrics_requests_total counter');
    for (const [api, v] of this.requests) lines.push(`kafka_network_requestmetrics_requests_total{request="${api}"} ${v}`);
    return lines.join('\n') + '\n';
  }
}
