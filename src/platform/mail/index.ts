/** E-mail for the features: rendering messages (and, for the worker, sending them over SMTP). */
export { renderMail, type MailContent } from './render.js';
