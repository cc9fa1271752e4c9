/**
 * The admin HTTP endpoint (`runnel.admin.listener`, default 127.0.0.1:9644):
 *
 *   GET /metrics  Prometheus text format (see broker-metrics.ts)
 *   GET /ready    200 once storage recovery finished and the Kafka listeners are open; 503 while
 *                 starting and once shutdown began (load balancers, Docker HEALTHCHECK, k8s)
 *   GET /health   200 while the process serves requests (liveness), with a small JSON status
 *
 * It opens first thing at startup, so /health answers and /ready says 503 during a long recovery.
 * Where it listens follows the schema registry's rule: an explicit host:port must bind (else
 * startup fails); unset means the default port, or a free one when the first Kafka listener asks
 * for port 0 (tests, embedded brokers), and a busy default only logs a warning; none disables it.
 * HTTPS with runnel.admin.ssl.enabled; with runnel.http.basic.auth.users set, everything but the
 * probes (/health, /ready) needs a user (http-security.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrokerConfig } from '../config/broker-config.js';
import { renderBrokerMetrics, startProcessSampling } from './broker-metrics.js';
import type { BrokerStatus } from './status.js';
import { BASIC_CHALLENGE, type HttpSecurity } from '../security/http-security.js';

/** Paths served without authentication: probes carry no credentials. */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/health', '/healthz', '/livez', '/ready']);

export const ADMIN_LISTENER_KEY = 'runnel.admin.listener';
export const DEFAULT_ADMIN_PORT = 9644;

export interface AdminListener {
  host: string;
  port: number;
  /** Set by the operator (bind failure is fatal) rather than defaulted (a warning). */
  explicit: boolean;
}

/** The listener to open, or null when the admin endpoint is disabled. */
export function adminListener(config: BrokerConfig): AdminListener | null {
  const raw = config.string(ADMIN_LISTENER_KEY);
  if (raw !== null) {
    const v = raw.trim();
    if (v === '' || v.toLowerCase() === 'none') return null;
    const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(v)!; // validated by the config table
    return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]!), port: Number(m[3]), explicit: true };
  }
  const kafkaPort = config.listeners()[0]?.port;
  return { host: '127.0.0.1', port: kafkaPort === 0 ? 0 : DEFAULT_ADMIN_PORT, explicit: false };
}

export class AdminHttpServer {
  private server: Server | null = null;
  /** http://host:port once listening. */
  url: string | null = null;

  constructor(
    private readonly broker: BrokerStatus,
    /** Basic auth and HTTPS (http-security.ts); null: plain HTTP, no authentication. */
    private readonly security: HttpSecurity | null = null,
    private readonly useTls = false,
  ) {}

  async listen(host: string, port: number): Promise<string> {
    startProcessSampling();
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    const server = this.security ? this.security.createServer(this.useTls, handler) : createServer(handler);
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.broker.log.error({ err }, 'admin HTTP server error'));
    this.server = server;
    const addr = server.address() as AddressInfo;
    const shown = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address.includes(':') ? `[${addr.address}]` : addr.address;
    this.url = `${this.useTls ? 'https' : 'http'}://${shown}:${addr.port}`;
    return this.url;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.send(res, 405, 'text/plain', 'only GET\n', { Allow: 'GET, HEAD' });
    // Liveness and readiness stay open for orchestrator probes; metrics need a user when users are configured.
    if (this.security?.authRequired && !OPEN_PATHS.has(path ?? '')) {
      const auth = this.security.authenticate(req);
      if (!auth.ok) return this.send(res, 401, 'text/plain', 'authentication required\n', BASIC_CHALLENGE);
    }
    try {
      switch (path) {
        case '/metrics':
          return this.send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderBrokerMetrics(this.broker));
        case '/ready':
          return this.send(res, this.broker.ready ? 200 : 503, 'application/json', JSON.stringify({ ready: this.broker.ready, state: this.broker.lifecycle }) + '\n');
        case '/health':
        case '/healthz':
        case '/livez':
          return this.send(res, 200, 'application/json', JSON.stringify(this.health()) + '\n');
        case '/':
          return this.send(res, 200, 'text/plain', 'Runnel admin endpoint: /metrics /ready /health\n');
        default:
          return this.send(res, 404, 'text/plain', 'not found: try /metrics, /ready or /health\n');
      }
    } catch (err) {
      this.broker.log.error({ err, path }, 'admin HTTP request failed');
      return this.send(res, 500, 'text/plain', `error: ${(err as Error).message}\n`);
    }
  }

  private health(): object {
    const offline = this.broker.logs ? [...this.broker.logs.partitions()].filter((l) => l.isOffline).length : 0;
    return { status: 'ok', state: this.broker.lifecycle, ready: this.broker.ready, nodeId: this.broker.nodeId, uptimeSeconds: Math.round((Date.now() - this.broker.startedAt) / 1000), offlinePartitions: offline };
  }

  private send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
