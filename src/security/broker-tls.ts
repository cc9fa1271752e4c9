/**
 * The broker's TLS material, per use: each SSL / SASL_SSL listener (its view of the config, with
 * its listener.name.<listener>.ssl.* overrides: listeners without overrides share one load), the
 * HTTPS ports (the plain ssl.* keys), and the broker's own client to other brokers (the view of the
 * inter-broker listener, as Kafka's inter-broker client uses that listener's configs). Loaded at
 * start (bad material fails it), reloaded on file changes (tls-certificates.ts).
 */
import type { ConnectionOptions } from 'node:tls';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../logger.js';
import { TlsCertificates } from './tls-certificates.js';

export class BrokerTls {
  private constructor(
    private readonly shared: TlsCertificates | null,
    private readonly perListener: ReadonlyMap<string, TlsCertificates>,
    private readonly interBroker: TlsCertificates | null,
  ) {}

  /** Null when nothing uses TLS. */
  static async load(config: BrokerConfig): Promise<BrokerTls | null> {
    const tlsListeners = config.listeners().filter((l) => config.usesTls(l.name)).map((l) => l.name);
    const interName = config.interBrokerListener().name;
    const interBroker = config.clusterMode() && config.usesTls(interName);
    const https = config.bool('runnel.admin.ssl.enabled') || config.bool('runnel.schema.registry.ssl.enabled');
    if (tlsListeners.length === 0 && !interBroker && !https) return null;
    const own = new Map<string, TlsCertificates>();
    for (const name of tlsListeners) if (config.hasListenerOverrides(name)) own.set(name, await TlsCertificates.load(config.forListener(name), true));
    const needShared = https || tlsListeners.some((n) => !own.has(n)) || (interBroker && !config.hasListenerOverrides(interName));
    const shared = needShared ? await TlsCertificates.load(config, https || tlsListeners.some((n) => !own.has(n))) : null;
    const inter = interBroker ? (own.get(interName) ?? (config.hasListenerOverrides(interName) ? await TlsCertificates.load(config.forListener(interName), false) : shared)) : null;
    return new BrokerTls(shared, own, inter);
  }

  /** The material of a TLS listener. */
  forListener(name: string): TlsCertificates {
    const c = this.perListener.get(name) ?? this.shared;
    if (c === null) throw new Error(`no TLS material for listener ${name}`);
    return c;
  }

  /** The material of the HTTPS ports (the plain ssl.* keys); null when none was loaded. */
  get http(): TlsCertificates | null {
    return this.shared;
  }

  /** tls.connect options to other brokers (current material), or null when the inter-broker listener is not TLS. */
  interBrokerClient(): (() => ConnectionOptions) | null {
    const c = this.interBroker;
    return c === null ? null : () => c.clientOptions();
  }

  private all(): TlsCertificates[] {
    return [...new Set([this.shared, this.interBroker, ...this.perListener.values()].filter((c): c is TlsCertificates => c !== null))];
  }

  startReloadChecks(log: Logger): void {
    for (const c of this.all()) c.startReloadChecks(log);
  }

  stop(): void {
    for (const c of this.all()) c.stop();
  }
}
