/**
 * The outbox module's public face: queueing e-mail in the caller's
 * transaction, reading an account's messages, the worker that sends them,
 * and the operators' list, retry and cancel. Other modules and the
 * composition root import from here only.
 */
export { enqueueMessage, enqueueMessages, type NewMessage } from './enqueue.js';
export { messagesOfAccount, type AccountMessage } from './history.js';
export { OUTBOX_STATUSES, type OutboxDailyRunTable, type OutboxMessageTable, type OutboxStatus, type OutboxWorkerTable } from './outbox.table.js';
export { DEFAULT_LEASE_MS, runWorker, workerName, type WorkerOptions, type WorkerSummary } from './worker.js';
export type { AttachmentRenderers, BeforeSendChecks, PendingMessage, SendDecision } from './worker-send.js';
export type { DailyJob } from './daily.js';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
export { latestHeartbeat } from './heartbeat.js';
export { cancelMessage, countByStatus, listMessages, retryAll, retryMessage, type ListedMessage } from './operations.js';
export { ADMIN_OUTBOX_NAV, outboxAdminRoutes, type OutboxAdminOptions } from './outbox-admin.routes.js';
