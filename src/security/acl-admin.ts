/**
 * What the ACL APIs (CreateAcls, DescribeAcls, DeleteAcls) need from the authorizer: create and
 * delete bindings durably (single node: the data dir; cluster: etcd), and list them. Results are
 * per binding / per filter, in request order, as the responses carry them.
 */
import type { AclBinding, AclFilter } from './acl-model.js';

export interface AclError {
  readonly code: number;
  readonly message: string;
}

export interface DeleteResult {
  /** The filter could not be applied (invalid); nothing was deleted for it. */
  readonly error: AclError | null;
  readonly deleted: readonly AclBinding[];
}

export interface AclAdmin {
  /** Adds the bindings (an existing one is kept, not an error); null per created binding, else why not. */
  create(bindings: readonly AclBinding[]): Promise<(AclError | null)[]>;
  /** Removes every binding matching each filter. */
  delete(filters: readonly AclFilter[]): Promise<DeleteResult[]>;
  /** The bindings matching the filter. */
  describe(filter: AclFilter): AclBinding[];
}
