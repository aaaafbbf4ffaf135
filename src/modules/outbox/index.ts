/**
 * The outbox module's public face: queueing e-mail in the caller's
 * transaction, and reading an account's messages. Other modules and the
 * composition root import from here only.
 */
export { enqueueMessage, type NewMessage } from './enqueue.js';
export { messagesOfAccount, type AccountMessage } from './history.js';
export { OUTBOX_STATUSES, type OutboxDailyRunTable, type OutboxMessageTable, type OutboxStatus, type OutboxWorkerTable } from './outbox.table.js';
