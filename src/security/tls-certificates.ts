/**
 * The broker's current TLS material and its reload: every runnel.ssl.reload.check.interval.ms the
 * key and trust store files are stat'ed (asynchronously); when one changed, the material is read
 * again and handed to the subscribers (the TLS listeners swap their secure context, the broker's
 * own client uses it for its next connection). A file caught half-written, or otherwise unusable,
 * is logged and the previous material stays, so a bad deploy never takes TLS down.
 */
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import type { ConfigView } from '../config/view.js';
import { ConfigError } from '../config/values.js';
import type { Logger } from '../logger.js';
import { clientConnectOptions, fileStamp, loadTlsMaterial, type TlsMaterial } from './tls-material.js';

export type MaterialSubscriber = (material: TlsMaterial) => void;

export class TlsCertificates {
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  private readonly subscribers: MaterialSubscriber[] = [];

  private constructor(
    private readonly config: ConfigView,
    private readonly needKey: boolean,
    private current: TlsMaterial,
  ) {}

  /** Reads the material; throws ConfigError when it is missing or unreadable (startup fails). */
  static async load(config: ConfigView, needKey: boolean): Promise<TlsCertificates> {
    const material = await loadTlsMaterial(config, needKey);
    try {
      createSecureContext(material.context);
    } catch (err) {
      // e.g. a wrong password, a key that does not match the certificate, a PKCS12 file OpenSSL 3 cannot read.
      throw new ConfigError(material.context.pfx ? 'ssl.keystore.location' : 'ssl.keystore.key', `The TLS key or certificates cannot be used: ${(err as Error).message}`);
    }
    return new TlsCertificates(config, needKey, material);
  }

  get material(): TlsMaterial {
    return this.current;
  }

  /** tls.connect options for the broker's own client, with the current material. */
  clientOptions(): ConnectionOptions {
    return clientConnectOptions(this.config, this.current);
  }

  /** Called with new material after each successful reload; a throwing subscriber fails that reload. */
  subscribe(fn: MaterialSubscriber): void {
    this.subscribers.push(fn);
  }

  startReloadChecks(log: Logger): void {
    const interval = this.config.int('runnel.ssl.reload.check.interval.ms');
    if (interval <= 0 || this.current.files.length === 0 || this.timer !== null) return;
    this.timer = setInterval(() => void this.checkOnce(log), interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reloads when a file's stamp changed; resolves true when new material is in use. */
  async checkOnce(log: Logger): Promise<boolean> {
    if (this.checking) return false;
    this.checking = true;
    try {
      let changed = false;
      for (const f of this.current.files) if ((await fileStamp(f.path)) !== f.stamp) changed = true;
      if (!changed) return false;
      let next: TlsMaterial;
      try {
        next = await loadTlsMaterial(this.config, this.needKey);
        // Unusable material (a key not matching its certificate...) fails here, before any swap.
        createSecureContext(next.context);
        for (const fn of this.subscribers) fn(next);
      } catch (err) {
        // Keep the stamps of the failed attempt out: the next check tries again.
        log.error({ err: (err as Error).message, files: this.current.files.map((f) => f.path) }, 'TLS certificates changed but could not be loaded; the previous ones stay in use');
        return false;
      }
      this.current = next;
      log.info({ files: next.files.map((f) => f.path) }, 'TLS certificates reloaded');
      return true;
    } finally {
      this.checking = false;
    }
  }
}
