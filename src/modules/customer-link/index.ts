/**
 * The customer-link module's public face: a signed, expiring link to one
 * account's statement page that a customer opens without signing in
 * (`customerLinkFor`, which messages include), the page itself, revoking an
 * account's links (staff and the CLI), and the staff section on the account
 * page that shows the link and the revoke button.
 */
export { CUSTOMER_LINK_PREFIX, customerLinkFor, type CustomerLinkRequest } from './customer-link.js';
export { isRevoked, linksRevokedAt, revokeCustomerLinks } from './link-revocation.js';
export type { CustomerLinkTable } from './customer-link.table.js';
export { CUSTOMER_INVOICES_SHOWN, customerPageRoutes, type CustomerPageRoutesOptions } from './customer-page.routes.js';
export { customerLinkSection, customerLinkStaffRoutes, type CustomerLinkSettings } from './staff-link.js';
