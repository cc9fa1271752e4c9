/**
 * Broker-level error types that several subsystems throw and the entry points catch (kept out of
 * the composition root so that throwing one does not import the whole broker).
 *
 * BrokerStartError: startup cannot go on (a listener, the admin endpoint or the schema registry
 * cannot bind its explicitly configured address). `runnel start` prints its message and exits 1;
 * the embedding API rejects `startBroker()` with it.
 */
export class BrokerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerStartError';
  }
}
