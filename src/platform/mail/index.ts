/** E-mail for the features: rendering messages, and sending them over SMTP (the outbox worker). */
export { renderMail, type MailContent } from './render.js';
export { createMailTransport, SendFailure, type Accepted, type MailTransport, type OutgoingMail, type TransportSettings } from './transport.js';
