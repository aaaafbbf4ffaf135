/**
 * The audit module's public face: the append-only log of who changed what
 * (every module writes to it in the transaction of its change), and the pages
 * and API that read it. Other modules and the composition root import from
 * here only; lint refuses the files behind it.
 */
export { CLI_ACTOR, findAuditEvents, recordAudit, type Actor, type AuditEntry, type AuditEvent, type AuditFilter } from './audit.repository.js';
export { auditApiRoutes } from './audit.api.js';
export { AUDIT_NAV, auditRoutes } from './audit.routes.js';
export type { AuditEventTable } from './audit.table.js';
