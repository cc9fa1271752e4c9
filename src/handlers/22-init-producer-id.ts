/**
 * InitProducerId (key 22), versions 0-5.
 *
 * Idempotent producers (no transactional id) get a fresh producer id with epoch 0 from a block
 * persisted before use, so ids never repeat across restarts. v3+ (KIP-360): a producer that sends
 * its current id and epoch gets the same id with the epoch bumped (a new id when the epoch would
 * overflow), which lets it reset sequences after an error without losing its identity.
 * Transactional producers get an id per transactional.id with the epoch bumped on every call, so
 * an older instance is fenced (INVALID_PRODUCER_EPOCH on its next produce).
 */
import { newInitProducerIdResponse, type InitProducerIdRequest, type InitProducerIdResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';

const MAX_EPOCH = 32767;

export default defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  key: 22,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const broker = ctx.broker;
    if (req.transactionalId !== null && req.transactionalId !== '') {
      const maxTimeout = broker.config.int('transaction.max.timeout.ms');
      if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > maxTimeout) {
        return newInitProducerIdResponse({ errorCode: ErrorCode.INVALID_TRANSACTION_TIMEOUT, producerId: -1, producerEpoch: -1 });
      }
      const { producerId, producerEpoch } = await broker.transactionalIds.init(req.transactionalId, req.transactionTimeoutMs);
      return newInitProducerIdResponse({ errorCode: ErrorCode.NONE, producerId, producerEpoch });
    }
    if (ctx.version >= 3 && req.producerId >= 0 && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH - 1) {
      return newInitProducerIdResponse({ errorCode: ErrorCode.NONE, producerId: req.producerId, producerEpoch: req.producerEpoch + 1 });
    }
    const producerId = await broker.producerIds.allocate();
    return newInitProducerIdResponse({ errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 });
  },
  errorResponse(_ctx, _req, code) {
    return newInitProducerIdResponse({ errorCode: code, producerId: -1, producerEpoch: -1 });
  },
});
