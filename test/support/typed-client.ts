/**
 * A script's view of the API: the types openapi-typescript generates from
 * the OpenAPI document, a small client written against them, and a
 * TypeScript compilation of both, so a test can tell whether a client typed
 * from the document compiles (and whether misuse of it is caught).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';

/** Picks a JSON body out of a generated request body or response. */
const JSON_BODY = `type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;`;

/** A client for a few operations, addressed by their operationIds; the transport is the caller's. */
export const CLIENT_SOURCE = `import type { operations } from './crm-api.js';

${JSON_BODY}
type Ok<O extends keyof operations, S extends keyof operations[O]['responses']> = Json<operations[O]['responses'][S]>;
type Body<O extends keyof operations> = Json<NonNullable<operations[O]['requestBody']>>;

/** Sends one request and resolves to its parsed JSON body. */
export type Send = (method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) => Promise<unknown>;

const accountPath = (acctid: string) => \`/api/v1/accounts/\${encodeURIComponent(acctid)}\`;

export function crmClient(send: Send) {
  return {
    getCurrentUser: async () => (await send('GET', '/api/v1/me')) as Ok<'getCurrentUser', 200>,
    getAccount: async (acctid: string) => (await send('GET', accountPath(acctid))) as Ok<'getAccount', 200>,
    updateAccount: async (acctid: string, changes: Body<'updateAccount'>) => (await send('PATCH', accountPath(acctid), changes)) as Ok<'updateAccount', 200>,
    createEntry: async (acctid: string, entry: Body<'createEntry'>) => (await send('POST', \`\${accountPath(acctid)}/entries\`, entry)) as Ok<'createEntry', 201>,
    listEntries: async (acctid: string) => (await send('GET', \`\${accountPath(acctid)}/entries\`)) as Ok<'listEntries', 200>,
    getSummary: async () => (await send('GET', '/api/v1/summary')) as Ok<'getSummary', 200>,
  };
}

export async function recordPayment(send: Send, acctid: string, amountCents: number): Promise<string> {
  const client = crmClient(send);
  const { username } = await client.getCurrentUser();
  const { entry, account } = await client.createEntry(acctid, { kind: 'payment', amount_cents: amountCents, memo: 'Paid at the desk' });
  await client.updateAccount(account.acctid, { notes: \`Last payment \${entry.amount} on \${entry.at}\` });
  const { entries } = await client.listEntries(acctid);
  const summary = await client.getSummary();
  const state = account.status === 'closed' ? 'closed' : 'open';
  return \`\${username} recorded \${entry.amount} (\${entries.length} entries); \${state} account, balance \${account.balance}; total due \${summary.total_due}\`;
}
`;

/** Three mistakes the generated types must refuse, one per line, at MISUSE_LINES. */
export const MISUSE_SOURCE = `import type { operations } from './crm-api.js';
${JSON_BODY}
type Account = Json<operations['getAccount']['responses'][200]>;
export const refund: Json<operations['createEntry']['requestBody']> = { kind: 'refund', amount_cents: 100 };
export type Removal = operations['deleteAccount'];
export const isArchived = (account: Account) => account.status === 'archived';
`;
/** 1-based lines of MISUSE_SOURCE: an unknown entry kind, an unknown operation, an unknown status. */
export const MISUSE_LINES = [4, 5, 6];

export interface CompiledClient {
  /** Each problem TypeScript reports, as "file:line: message" (file is the base name). */
  readonly problems: readonly string[];
}

/**
 * Generates `crm-api.d.ts` from the document with openapi-typescript and
 * type-checks the given files against it (strict, no emit), in a temporary
 * directory that is removed afterwards.
 */
export async function compileAgainstDocument(document: object, files: Readonly<Record<string, string>>): Promise<CompiledClient> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-openapi-client-'));
  try {
    writeFileSync(join(dir, 'crm-api.d.ts'), astToString(await openapiTS(structuredClone(document) as Parameters<typeof openapiTS>[0])));
    const roots = Object.entries(files).map(([name, source]) => {
      const path = join(dir, name);
      writeFileSync(path, source);
      return path;
    });
    const program = ts.createProgram(roots, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      types: [],
      skipDefaultLibCheck: true,
    });
    const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
      if (!diagnostic.file || diagnostic.start === undefined) return message;
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      return `${basename(diagnostic.file.fileName)}:${line + 1}: ${message}`;
    });
    return { problems };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
