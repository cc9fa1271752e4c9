/**
 * Starting the admin HTTP endpoint (/metrics, /ready, /health) for the broker: where it listens
 * (runnel.admin.listener), a warning when it is exposed without protection, and what a bind
 * failure means — a start error when the address was configured explicitly, a warning (and no
 * endpoint) for the default address.
 */
import { BrokerStartError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { httpExposureWarning, type HttpSecurity } from '../security/http-security.js';
import { AdminHttpServer, adminListener, ADMIN_LISTENER_KEY } from './server.js';
import type { BrokerStatus } from './status.js';

/** The running endpoint, or null when none is configured or the default address was taken. */
export async function startAdminEndpoint(status: BrokerStatus, config: BrokerConfig, http: HttpSecurity, log: Logger): Promise<AdminHttpServer | null> {
  const l = adminListener(config);
  if (!l) return null;
  const server = new AdminHttpServer(status, http, config.bool('runnel.admin.ssl.enabled'));
  const exposed = httpExposureWarning('the admin endpoint (/metrics)', l.host, http);
  if (exposed !== null) log.warn({ host: l.host, port: l.port }, exposed);
  try {
    await server.listen(l.host, l.port);
    return server;
  } catch (e) {
    const where = `${l.host}:${l.port}`;
    const why = (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is already in use' : (e as Error).message;
    if (l.explicit) throw new BrokerStartError(`Admin HTTP endpoint cannot bind ${where} (${ADMIN_LISTENER_KEY}): ${why}`);
    log.warn({ listener: where }, `admin HTTP endpoint (metrics, health) not started: ${why}; set ${ADMIN_LISTENER_KEY} to another host:port, or none`);
    return null;
  }
}
