/**
 * Test certificates (EC P-256) made with the openssl command in a temp dir: a CA, a broker certificate for
 * 127.0.0.1/localhost, client certificates (valid, expired, signed by an unknown CA), PEM files as
 * Kafka's ssl.keystore.type=PEM reads them (key and chain in one file) and PKCS12 stores.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './broker.js';

export interface CertSet {
  dir: string;
  caCert: string;
  /** Broker: PEM key store file (key + chain), its parts, a PKCS12 store (password PKCS12_PASSWORD). */
  brokerPem: string;
  brokerKey: string;
  brokerCert: string;
  brokerP12: string;
  /** The broker's PEM key store with its key encrypted (PKCS#8, password KEY_PASSWORD). */
  brokerEncryptedPem: string;
  /** Client certificates: CN=<name>,OU=clients,O=runnel. */
  client(name: string): { key: string; cert: string; pem: string; p12: string };
  expiredClient: { key: string; cert: string };
  /** Signed by a CA the broker does not trust. */
  untrustedClient: { key: string; cert: string };
  /** A truststore PKCS12 with the CA certificate only. */
  caP12: string;
}

export const PKCS12_PASSWORD = 'changeit';
/** EC P-256 keys: made in milliseconds (RSA 2048 takes ~100 ms each on a loaded machine), and every client here speaks ECDSA. */
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
export const KEY_PASSWORD = 'key-secret';

const ossl = (dir: string, args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
};

function keyAndCsr(dir: string, name: string, subj: string): void {
  ossl(dir, ['req', '-new', ...KEY_ARGS, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
}

function sign(dir: string, name: string, ca: string, ext?: string, days = 30): void {
  const extArgs = ext ? ['-extfile', `${name}.ext`] : [];
  if (ext) writeFileSync(join(dir, `${name}.ext`), ext);
  ossl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', String(days), '-sha256', ...extArgs]);
}

function makeCa(dir: string, name: string, cn: string): void {
  ossl(dir, ['req', '-x509', ...KEY_ARGS, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', `/CN=${cn}`]);
}

function pemStore(dir: string, name: string): string {
  const p = join(dir, `${name}.pem`);
  writeFileSync(p, readFileSync(join(dir, `${name}.key`), 'utf8') + readFileSync(join(dir, `${name}.crt`), 'utf8'));
  return p;
}

function p12(dir: string, name: string): string {
  ossl(dir, ['pkcs12', '-export', '-inkey', `${name}.key`, '-in', `${name}.crt`, '-certfile', 'ca.crt', '-out', `${name}.p12`, '-passout', `pass:${PKCS12_PASSWORD}`, '-name', name]);
  return join(dir, `${name}.p12`);
}

/** A new broker certificate (new serial, same key) as PEM key store text: for reload tests. */
export function reissueBrokerPem(certs: CertSet): string {
  sign(certs.dir, 'broker', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n', 20);
  return readFileSync(join(certs.dir, 'broker.key'), 'utf8') + readFileSync(join(certs.dir, 'broker.crt'), 'utf8');
}

export function makeCerts(prefix = 'certs'): CertSet {
  const dir = tempDir(prefix);
  makeCa(dir, 'ca', 'Runnel Test CA');
  makeCa(dir, 'evil-ca', 'Unknown CA');
  keyAndCsr(dir, 'broker', '/O=runnel/CN=localhost');
  sign(dir, 'broker', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  const clients = new Map<string, { key: string; cert: string; pem: string; p12: string }>();
  const client = (name: string) => {
    let c = clients.get(name);
    if (!c) {
      const file = `client-${name}`;
      keyAndCsr(dir, file, `/O=runnel/OU=clients/CN=${name}`);
      sign(dir, file, 'ca', 'extendedKeyUsage=clientAuth\n');
      c = { key: join(dir, `${file}.key`), cert: join(dir, `${file}.crt`), pem: pemStore(dir, file), p12: p12(dir, file) };
      clients.set(name, c);
    }
    return c;
  };
  // Expired: `openssl ca` takes explicit dates (x509 -req cannot backdate).
  keyAndCsr(dir, 'expired', '/O=runnel/OU=clients/CN=expired');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ca]\ndefault_ca=d\n[d]\ndatabase=${dir}/index.txt\nnew_certs_dir=${dir}\nserial=${dir}/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\norganizationName=optional\norganizationalUnitName=optional\n`,
  );
  ossl(dir, ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', 'expired.csr', '-out', 'expired.crt', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-notext']);
  keyAndCsr(dir, 'untrusted', '/O=runnel/OU=clients/CN=mallory');
  sign(dir, 'untrusted', 'evil-ca', 'extendedKeyUsage=clientAuth\n');
  ossl(dir, ['pkcs12', '-export', '-nokeys', '-in', 'ca.crt', '-out', 'ca.p12', '-passout', `pass:${PKCS12_PASSWORD}`]);
  ossl(dir, ['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', 'broker.key', '-out', 'broker-enc.key', '-passout', `pass:${KEY_PASSWORD}`]);
  writeFileSync(join(dir, 'broker-enc.pem'), readFileSync(join(dir, 'broker-enc.key'), 'utf8') + readFileSync(join(dir, 'broker.crt'), 'utf8'));
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    brokerPem: pemStore(dir, 'broker'),
    brokerKey: join(dir, 'broker.key'),
    brokerCert: join(dir, 'broker.crt'),
    brokerP12: p12(dir, 'broker'),
    brokerEncryptedPem: join(dir, 'broker-enc.pem'),
    client,
    expiredClient: { key: join(dir, 'expired.key'), cert: join(dir, 'expired.crt') },
    untrustedClient: { key: join(dir, 'untrusted.key'), cert: join(dir, 'untrusted.crt') },
    caP12: join(dir, 'ca.p12'),
  };
}
