/**
 * The reminders module's public face: the reminder policy (levels of days
 * past due, each with its subject and text) and its admin page, the choice
 * of which accounts to remind on a day and the run that queues the messages.
 */
export type { ReminderLevelTable, ReminderSentTable } from './reminders.table.js';
