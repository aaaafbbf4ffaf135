/**
 * The reminders module's public face: the reminder policy (levels of days
 * past due, each with its subject and text) and its admin page, the choice
 * of which accounts to remind on a day and the run that queues the messages.
 */
export type { ReminderLevelTable, ReminderSentTable } from './reminders.table.js';
export { BODY_MAX, fillPlaceholders, MAX_DAYS_LATE, MAX_LEVELS, PLACEHOLDERS, readPolicy, savePolicy, SUBJECT_MAX, type ReminderLevel } from './policy.js';
export { REMINDER_PURPOSE, reminderMessage, type LinkFor, type Signature } from './reminder-message.js';
export { runReminders, type ReminderRunOptions, type ReminderRunReport } from './reminder-run.js';
export { batchEnd, selectBatch, SELECTION_BATCH_SIZE, type AccountToRemind, type OverdueInvoice, type SelectionBatch } from './selection.js';
export { reminderStillDue, type SendDecision } from './before-send.js';
export { queueStatementMail, queueStatementMails, STATEMENT_ATTACHMENT, STATEMENT_PURPOSE, statementAttachment, statementMessage, type StatementMailReport } from './statement-mail.js';
export { REMINDERS_NAV, reminderPolicyRoutes } from './policy.routes.js';
export { accountMessageRoutes, accountMessagesSection, type AccountMessagesSettings } from './account-messages.js';
