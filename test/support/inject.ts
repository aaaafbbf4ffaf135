import type { LightMyRequestResponse } from 'fastify';
import type { App } from '../../src/app.js';
import { formToken } from './https-client.js';

/** Cookie and token from GET /, the way a browser would carry them to the next POST. */
export async function openForm(app: App): Promise<{ cookie: string; token: string }> {
  const page = await app.inject({ method: 'GET', url: '/' });
  const token = formToken(page.body);
  const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  if (token === undefined || page.cookies.length === 0) throw new Error(`GET / gave no token or cookie (status ${page.statusCode})`);
  return { cookie, token };
}

export function postLookup(
  app: App,
  { cookie, token, acctid }: { cookie?: string; token?: string; acctid: string },
): Promise<LightMyRequestResponse> {
  const form: Record<string, string> = { acctid };
  if (typeof token === 'string') form.csrf_token = token;
  return app.inject({
    method: 'POST',
    url: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    payload: new URLSearchParams(form).toString(),
  });
}
