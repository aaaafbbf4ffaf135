import { createReadStream } from 'node:fs';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { errorHandler, renderHtmlError } from '../../platform/http/error-rendering.js';
import { crossSiteRefusal } from '../../platform/http/same-origin.js';
import { AppError } from '../../shared/errors.js';
import type { RequestReads } from '../../platform/http/read-routing.js';
import type { Database } from '../../schema.js';
import { actorOf, can } from '../staff/index.js';
import { HTML, staffPage, type NavEntry } from '../../platform/views/staff-page.js';
import { exportAccounts, EXPORT_FORMATS } from './exporter.js';
import { ImportConflictError, importAccounts } from './importer.js';
import { parseUploadForm, removeUpload, UPLOAD_MAX_BYTES, UPLOAD_MAX_ROWS, type UploadForm } from './upload-form.js';
import { EXPORT_PATH, IMPORT_PATH, IMPORT_TITLE, importBody, SHOWN_ERRORS_MAX, type ImportChoices, type ImportPageView } from './import-export.views.js';

const PERMISSION = 'accounts:import';
const ACCESS = { access: PERMISSION } as const;

const exportQuery = z.object({ format: z.enum(EXPORT_FORMATS, { error: 'The format is csv or json.' }).default('csv') });

export interface ImportRoutesOptions {
  readonly db: Kysely<Database>;
  /** Where the export downloads read (they tolerate lag): a replica unless the admin just wrote. */
  readonly reads: RequestReads<Database>;
  /** The largest file the upload takes; UPLOAD_MAX_BYTES (20 MiB) unless told. */
  readonly maxUploadBytes?: number;
  /** The business time zone (CRM_TIME_ZONE): what "today" is for the entries an import records. UTC unless told. */
  readonly timeZone?: string;
}


/** The staff navigation's link to these pages. */
export const IMPORT_NAV: NavEntry = { href: IMPORT_PATH, label: 'Import / export', access: 'accounts:import', admin: true };

/**
 * Bulk import and export for admins (accounts:import): the upload page runs
 * the same importer as `crm import` and shows the same report; the export
 * downloads stream the same text as `crm export`.
 */
export const importRoutes: FastifyPluginAsyncZod<ImportRoutesOptions> = async (app, { db, reads, maxUploadBytes = UPLOAD_MAX_BYTES, timeZone = 'UTC' }) => {
  const show = (request: FastifyRequest, reply: FastifyReply, status: number, view: Omit<ImportPageView, 'csrfToken' | 'maxUploadBytes'> = {}) =>
    reply
      .code(status)
      .type(HTML)
      .send(staffPage(request, reply, { title: IMPORT_TITLE, body: importBody({ ...view, csrfToken: reply.formToken(), maxUploadBytes }), current: IMPORT_PATH }));

  app.get(IMPORT_PATH, { config: ACCESS }, async (request, reply) => show(request, reply, 200));

  app.get(EXPORT_PATH, { config: ACCESS, schema: { querystring: exportQuery } }, async (request, reply) => {
    const { format } = request.query;
    const chunks = exportAccounts(await reads(request), { format });
    // The first chunk holds the first page: a database that fails fails here, with an error page, not a cut download.
    const first = await chunks.next();
    async function* all() {
      if (!first.done) yield first.value;
      yield* chunks;
    }
    const day = new Date().toISOString().slice(0, 10);
    return reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="accounts-${day}.${format}"`)
      .send(Readable.from(all()));
  });

  // The upload alone parses multipart/form-data, in its own encapsulated context.
  await app.register(async (upload: FastifyInstance) => {
    upload.removeAllContentTypeParsers();
    upload.addContentTypeParser('multipart/form-data', (request, payload, done) => {
      parseUploadForm(request, payload, maxUploadBytes).then(
        (body) => done(null, body),
        (error: Error) => done(error),
      );
    });
    // An upload refused before the handler ran (a bad form token) leaves its spooled file too.
    upload.addHook('onResponse', async (request) => removeUpload(request.body as UploadForm | undefined));
    upload.setErrorHandler(errorHandler(renderHtmlError, { accepts: 'multipart/form-data (the upload form)' }));
    // Before a byte of the upload is read: a cross-site post, or a signed-in user who may not import, is refused
    // (the scope checks both again, with the form's token, once the form is parsed).
    upload.addHook('preParsing', async (request) => {
      const refusal = crossSiteRefusal(request);
      if (refusal) throw refusal;
      const principal = request.principal;
      if (principal && !can(principal.role, PERMISSION)) {
        throw new AppError(403, 'FORBIDDEN', `Your role (${principal.role}) does not allow this. Ask an admin if you need it.`);
      }
    });

    upload.post(IMPORT_PATH, { config: ACCESS }, async (request, reply) => {
      const form = (request.body ?? {}) as UploadForm;
      const choices: ImportChoices = { partial: form.partial !== undefined, update: form.update !== undefined, dryRun: form.dry_run !== undefined };
      const file = form.file;
      if (!file || file.bytes === 0) {
        return show(request, reply, 400, { problem: file && file.filename !== '' ? 'The file is empty.' : 'Please choose a CSV or JSON file to import.', choices });
      }
      // A large import sends nothing until it is done: keep Node's idle-socket timeout (CONNECTION_TIMEOUT_MS) from
      // closing the connection meanwhile (a bare Fastify server does; test/system/import-browser.test.ts checks the outcome).
      const socket = request.raw.socket as Partial<Socket> | undefined;
      const idle = (ms: number) => (typeof socket?.setTimeout === 'function' ? socket.setTimeout(ms) : undefined);
      idle(0);
      try {
        const report = await importAccounts(
          db,
          // eslint-disable-next-line security/detect-non-literal-fs-filename -- the spooled upload's own path (upload-form.ts)
          { name: file.filename, size: file.bytes, open: () => createReadStream(file.path) },
          {
            actor: actorOf(request),
            mode: choices.partial ? 'partial' : 'all-or-nothing',
            update: choices.update,
            dryRun: choices.dryRun,
            keepErrors: SHOWN_ERRORS_MAX,
            maxRows: UPLOAD_MAX_ROWS,
            timeZone,
          },
        );
        return show(request, reply, report.rejected > 0 ? 422 : 200, { report, choices });
      } catch (error) {
        if (error instanceof ImportConflictError) return show(request, reply, 409, { problem: error.message, choices });
        throw error;
      } finally {
        idle(request.server.server.timeout);
        removeUpload(form);
      }
    });
  });
};
