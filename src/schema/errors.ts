/**
 * Confluent Schema Registry's error model: every failure is an HTTP status plus a body
 * `{"error_code": N, "message": "..."}` where N is the status itself or a five-digit refinement
 * of it (40401 = 404 "subject not found"). Serializers branch on these codes (kafkajs' registry
 * client treats any 404 from GET /config/{subject} as "first registration"), so codes and
 * statuses follow Confluent's exactly; messages follow Confluent's wording where clients or
 * people are likely to match on it.
 */

export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  body(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

const err = (status: number, code: number, message: string): RegistryError => new RegistryError(status, code, message);

export const RegistryErrors = {
  subjectNotFound: (subject: string) => err(404, 40401, `Subject '${subject}' not found.`),
  versionNotFound: (version: number | string) => err(404, 40402, `Version ${version} not found.`),
  schemaNotFound: (id?: number) => err(404, 40403, id === undefined ? 'Schema not found' : `Schema ${id} not found`),
  subjectSoftDeleted: (subject: string) => err(404, 40404, `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`),
  subjectNotSoftDeleted: (subject: string) => err(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`),
  versionSoftDeleted: (subject: string, version: number) =>
    err(404, 40406, `Subject '${subject}' Version ${version} was soft deleted.Set permanent=true to delete permanently`),
  versionNotSoftDeleted: (subject: string, version: number) =>
    err(404, 40407, `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`),
  subjectCompatibilityNotConfigured: (subject: string) => err(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`),
  subjectModeNotConfigured: (subject: string) => err(404, 40409, `Subject '${subject}' does not have subject-level mode configured`),
  incompatible: (message: string) => err(409, 409, message),
  invalidSchema: (message: string) => err(422, 42201, `Invalid schema: ${message}`),
  invalidVersion: (version: string) =>
    err(422, 42202, `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`),
  invalidCompatibilityLevel: () =>
    err(422, 42203, 'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive'),
  invalidMode: () => err(422, 42204, 'Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT'),
  operationNotPermitted: (message: string) => err(422, 42205, message),
  referenceExists: (message: string) => err(422, 42206, message),
  storeError: (message: string) => err(500, 50001, `Error while storing the schema registry record: ${message}`),
  operationTimeout: (message: string) => err(500, 50002, `Operation timed out: ${message}`),
  forwardingFailed: (message: string) => err(500, 50003, `Error while forwarding the request to the leader: ${message}`),
  unknownLeader: (message: string) => err(500, 50004, `Unknown leader: ${message}`),
  unprocessable: (message: string) => err(422, 422, message),
  badRequest: (message: string) => err(400, 400, message),
  notFound: () => err(404, 404, 'HTTP 404 Not Found'),
  methodNotAllowed: () => err(405, 405, 'HTTP 405 Method Not Allowed'),
  payloadTooLarge: (max: number) => err(413, 413, `Request body too large: more than runnel.schema.registry.max.request.bytes (${max})`),
};
