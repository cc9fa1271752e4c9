/**
 * Builds the broker's authorizer from its config: AllowAll without `authorizer.class.name`, else
 * the StandardAuthorizer over the ACLs of the data dir (single node) or of etcd (cluster).
 */
import type { ConfigView } from '../config/view.js';
import type { EtcdStore } from '../cluster/etcd.js';
import type { Logger } from '../logger.js';
import type { StorageFs } from '../../storage/fs.js';
import { type AclStore, EtcdAclStore, FileAclStore } from './acl-store.js';
import { AllowAll, type Authorizer } from './authorizer.js';
import { DenialAudit } from './denial-audit.js';
import { StandardAuthorizer } from './standard-authorizer.js';

export interface AuthorizerDeps {
  config: ConfigView;
  log: Logger;
  dataDir: string;
  fs: StorageFs;
  /** Cluster mode: the cluster's etcd. */
  etcd: EtcdStore | null;
}

export async function openAuthorizer(d: AuthorizerDeps): Promise<{ authorizer: Authorizer; close(): Promise<void> }> {
  const cls = (d.config.string('authorizer.class.name') ?? '').trim();
  if (cls === '') return { authorizer: new AllowAll(), close: async () => undefined };
  const log = d.log.child({ component: 'authorizer' });
  const store: AclStore = d.etcd ? new EtcdAclStore(d.etcd, log) : new FileAclStore(d.fs, d.dataDir);
  const authorizer = await StandardAuthorizer.open({
    store,
    superUsers: d.config.string('super.users') ?? '',
    allowEveryoneIfNoAclFound: d.config.bool('allow.everyone.if.no.acl.found'),
    maxAcls: d.config.int('runnel.authorizer.max.acls'),
    cacheMaxEntries: d.config.int('runnel.authorizer.cache.max.entries'),
    audit: new DenialAudit(log, d.config.int('runnel.authorizer.denial.log.per.second')),
    log,
  });
  log.info({ acls: authorizer.size, storage: d.etcd ? 'etcd' : 'data dir' }, 'authorizer on (StandardAuthorizer)');
  return { authorizer, close: () => store.close() };
}
