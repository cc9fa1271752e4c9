/**
 * Last-resort handlers for the broker's process: an exception nobody caught, or a promise
 * rejection nobody handled, is logged at error with its stack and origin, and the broker keeps
 * serving.
 *
 * Why not exit, as Node does by default: every path a client's bytes take is caught where it
 * enters (connection.ts `guarded`, the accept callback, handler failures become error responses,
 * storage failures take a partition offline), so reaching these handlers means a bug outside
 * those paths — and exiting would turn one bad request into an outage for every client and drop
 * acknowledged-but-unflushed work under relaxed flush policies. The error log is how such a bug
 * gets seen; it is never swallowed silently.
 *
 * Installed by `runnel start` only: an application embedding the broker (startBroker) owns its
 * process and its own policy for these events.
 */
import type { Logger } from './logger.js';

let installed = false;

export function installProcessGuards(log: Logger): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (err, origin) => {
    log.error({ err, origin }, 'uncaught exception (a bug; the broker keeps running)');
  });
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled promise rejection (a bug; the broker keeps running)');
  });
}
