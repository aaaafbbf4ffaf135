/**
 * The import page's multipart/form-data upload, parsed while Fastify parses
 * bodies (a content-type parser), so the whole form, csrf_token included, is
 * request.body before preValidation, where the staff scope checks the token.
 *
 * Why not @fastify/multipart: it fills request.body (attachFieldsToBody) in
 * a preValidation hook of the plugin that registers it, and Fastify runs the
 * enclosing scope's preValidation hooks first, so the scope's CSRF check
 * would never see the token and would refuse every upload. This parser uses
 * the same engine (@fastify/busboy) with the same kind of limits.
 *
 * The file is written to a temporary file as it arrives (back-pressure from
 * the disk reaches the socket), never held in memory: the importer then
 * reads it in small chunks, twice when it checks before writing, so memory
 * stays flat whatever the upload.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Busboy, type BusboyFileStream } from '@fastify/busboy';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';

/** Largest file the page accepts (the CLI has no limit): 20 MiB. */
export const UPLOAD_MAX_BYTES = 20 * 1024 * 1024;
/**
 * Most rows the page imports (the CLI has no limit). The check remembers
 * each id to find one listed twice, about 90 bytes a row: 250,000 rows stay
 * well inside the image's 96 MiB heap, where 20 MiB of short rows (3 million)
 * would not.
 */
export const UPLOAD_MAX_ROWS = 250_000;

/** The fields the form has, besides the file. */
const TEXT_FIELDS = ['csrf_token', 'partial', 'update', 'dry_run'] as const;
type TextField = (typeof TEXT_FIELDS)[number];

export interface UploadedFile {
  /** The name the browser gave (its extension can tell the format). */
  readonly filename: string;
  /** Where the upload was spooled; removeUpload deletes it. */
  readonly path: string;
  readonly bytes: number;
}

/** request.body of an upload: the text fields as strings, the file spooled to disk. */
export type UploadForm = Partial<Record<TextField, string>> & { file?: UploadedFile };

/** Deletes an upload's spooled file (done with it, or refused). */
export function removeUpload(form: UploadForm | undefined): void {
  if (form?.file) rmSync(form.file.path, { force: true });
}

const tooLarge = (what: string) => new AppError(413, 'UPLOAD_TOO_LARGE', what);

/**
 * Reads the whole form: at most one file (kept in memory, at most
 * `maxBytes`) and the few short fields the form has. Anything more is
 * refused with 413 (too large) or 400 (not this form).
 */
export function parseUploadForm(request: FastifyRequest, payload: Readable, maxBytes: number): Promise<UploadForm> {
  return new Promise<UploadForm>((resolve, reject) => {
    const body: UploadForm = {};
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      fileStream?.destroy();
      if (spooled) rmSync(spooled, { force: true });
      payload.unpipe();
      // Drain the rest so the reply can still be sent on this connection.
      payload.resume();
      reject(error);
    };
    let parser;
    try {
      parser = new Busboy({
        headers: { ...request.headers, 'content-type': request.headers['content-type'] ?? '' },
        limits: { fileSize: maxBytes, files: 1, fields: TEXT_FIELDS.length, fieldSize: 1024, fieldNameSize: 64, parts: TEXT_FIELDS.length + 1, headerPairs: 20 },
      });
    } catch (error) {
      reject(new AppError(400, 'UPLOAD_MALFORMED', `The upload could not be read (${(error as Error).message}).`));
      return;
    }
    let pendingFile: Promise<void> | undefined;
    let spooled: string | undefined;
    let fileStream: BusboyFileStream | undefined;
    parser.on('field', (name: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
      if (!(TEXT_FIELDS as readonly string[]).includes(name)) return fail(new AppError(400, 'UPLOAD_UNKNOWN_FIELD', 'The upload has a field this form does not have.'));
      if (valueTruncated) return fail(tooLarge('A form field is too long.'));
      body[name as TextField] = value;
    });
    parser.on('file', (name: string, stream: BusboyFileStream, filename: string) => {
      if (name !== 'file') {
        stream.resume();
        return fail(new AppError(400, 'UPLOAD_UNKNOWN_FIELD', 'The upload has a file field this form does not have.'));
      }
      const path = join(tmpdir(), `crm-upload-${randomUUID()}`);
      spooled = path;
      fileStream = stream;
      stream.on('limit', () => fail(tooLarge(`The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB. Import larger files with the crm import command.`)));
      // The name is ours (a random UUID in the temporary directory), and only this process may read it.
      // eslint-disable-next-line security/detect-non-literal-fs-filename
      pendingFile = pipeline(stream, createWriteStream(path, { flags: 'wx', mode: 0o600 })).then(
        () => {
          // A refusal may come before the file was opened (so after fail() removed it).
          if (failed) rmSync(path, { force: true });
          else body.file = { filename: filename.slice(0, 200), path, bytes: stream.bytesRead };
        },
        (error: NodeJS.ErrnoException) => {
          rmSync(path, { force: true });
          fail(
            error.code === 'ENOSPC'
              ? new AppError(503, 'UPLOAD_NO_ROOM', 'The server has no room for this upload right now. Please try again in a few minutes.')
              : new AppError(400, 'UPLOAD_MALFORMED', 'The upload could not be read to its end.'),
          );
        },
      );
    });
    parser.on('filesLimit', () => fail(tooLarge('Send one file at a time.')));
    parser.on('fieldsLimit', () => fail(tooLarge('The upload has more fields than this form.')));
    parser.on('partsLimit', () => fail(tooLarge('The upload has more parts than this form.')));
    parser.on('error', (error: unknown) => fail(new AppError(400, 'UPLOAD_MALFORMED', `The upload could not be read (${error instanceof Error ? error.message : 'malformed'}).`)));
    parser.on('finish', () => {
      void Promise.resolve(pendingFile).then(() => {
        if (!failed) resolve(body);
      });
    });
    payload.on('error', (error) => fail(error));
    payload.pipe(parser);
  });
}
