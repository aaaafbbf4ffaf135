/**
 * The first admin of a fresh installation, for containers where nobody runs
 * `crm users add` by hand: CRM_BOOTSTRAP_ADMIN_FILE names a secret file
 * (dotenv syntax) with `username=` and either `password=` or
 * `password_hash=` (argon2id, as `crm` makes them). Used only while there
 * are no staff users; ignored once there are.
 */
import { readFile } from 'node:fs/promises';
import { parseEnv } from 'node:util';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { AppError } from '../../shared/errors.js';
import type { Database } from '../../schema.js';
import type { Actor } from '../audit/index.js';
import { countUsers, createUser, type StaffUser } from './users.js';

/** Who the audit log says created the first admin. */
export const BOOTSTRAP_ACTOR: Actor = Object.freeze({ name: 'bootstrap' });

const SETTING = 'CRM_BOOTSTRAP_ADMIN_FILE';

/** A file this large is not a two-line secret. */
const MAX_FILE_BYTES = 64 * 1024;

/** Errors name the file and the problem, never a line of its content. */
function problem(file: string, what: string, cause?: unknown): Error {
  return new Error(`${SETTING} ${file}: ${what}`, cause === undefined ? {} : { cause });
}

async function readSecretFile(file: string): Promise<string> {
  let text: string;
  try {
    // The operator's own setting names the file.
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    text = await readFile(file, 'utf8');
  } catch (error) {
    // The code only (ENOENT, EACCES): enough to act on.
    throw problem(file, `cannot read it (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw problem(file, `is larger than ${MAX_FILE_BYTES / 1024} KiB; it should hold only username= and password= (or password_hash=)`);
  return text;
}

/**
 * Creates the first admin from `file` when the database has no staff users.
 * Returns the user it created, or null when it created none: no file, users
 * already exist, the file names no one (the committed placeholder docker
 * compose mounts), or another replica starting at the same moment won the
 * race. A file that is unreadable or incomplete, or whose password or hash
 * the policy refuses, throws an Error naming the file and the problem.
 */
export async function bootstrapAdmin(db: Kysely<Database>, file: string | null, logger: Logger): Promise<StaffUser | null> {
  if (file === null) return null;
  if ((await countUsers(db)) > 0) {
    logger.info(`staff users exist: ${SETTING} is ignored`);
    return null;
  }

  const settings = parseEnv(await readSecretFile(file));
  const username = settings.username?.trim() ?? '';
  const password = settings.password ?? '';
  const passwordHash = settings.password_hash?.trim() ?? '';
  if (username === '' && password === '' && passwordHash === '') {
    logger.info(`${SETTING} ${file} names no admin (no username=, password= or password_hash=): none created`);
    return null;
  }
  if (username === '') throw problem(file, 'has no username= (the first admin’s user name)');
  if (password !== '' && passwordHash !== '') throw problem(file, 'has both password= and password_hash=; keep one');
  if (password === '' && passwordHash === '') throw problem(file, 'has neither password= nor password_hash=');

  try {
    const user = await createUser(
      db,
      BOOTSTRAP_ACTOR,
      passwordHash === '' ? { username, role: 'admin', password } : { username, role: 'admin', password: passwordHash, passwordIsHash: true },
    );
    logger.info({ username: user.username }, `created the first admin ${user.username} from ${SETTING}`);
    return user;
  } catch (error) {
    if (error instanceof AppError && error.code === 'USERNAME_TAKEN') {
      // Two replicas started together on an empty database: the other one created it.
      logger.info(`the first admin from ${SETTING} already exists (another replica created it)`);
      return null;
    }
    // The policy's messages (BAD_USERNAME, WEAK_PASSWORD, WEAK_PASSWORD_HASH) never repeat the value.
    if (error instanceof AppError && error.statusCode === 400) throw problem(file, error.message, error);
    throw error;
  }
}
