import { readFileSync } from 'node:fs';
import { request as httpsRequest, type Agent } from 'node:https';

/** The CSRF token in a page's lookup form, or undefined when the page has none. */
export function formToken(html: string): string | undefined {
  return /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
}

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/**
 * One HTTPS request, the whole answer read. Without a CA (an external server
 * with its own certificate) verification is skipped for that request only.
 */
export function httpsFetch(url: URL, options: RequestOptions, { ca, agent }: { ca: Buffer | undefined; agent: Agent | false }): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise<Reply>((resolve, reject) => {
    const req = httpsRequest(url, { method: options.method ?? 'GET', headers, ca, rejectUnauthorized: ca !== undefined, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url.href} within 10 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A browser-like HTTPS client for the system tests: keeps its own cookies,
 * trusts the given CA file (the self-signed certificate) or, when none is
 * given for an external server, skips verification for that server only.
 */
export class Browser {
  private readonly cookies = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly caFile?: string,
  ) {}

  /** Carries another visitor's cookies over (the same browser talking to a restarted server). */
  copyCookiesFrom(other: Browser): void {
    for (const [name, value] of other.cookies) this.cookies.set(name, value);
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size > 0 && headers.cookie === undefined) headers.cookie = this.cookieHeader();
    const ca = this.caFile ? readFileSync(this.caFile) : undefined;
    const reply = await httpsFetch(new URL(path, this.baseUrl), { ...options, headers }, { ca, agent: false });
    for (const line of [reply.headers['set-cookie'] ?? []].flat()) {
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator > 0) this.cookies.set(pair.slice(0, separator).trim(), pair.slice(separator + 1).trim());
    }
    return reply;
  }

  /** GET the lookup page and read the form's CSRF token from it. */
  async openLookupPage(): Promise<{ page: Reply; token: string }> {
    const page = await this.request('/');
    const token = formToken(page.body);
    if (!token) throw new Error(`no csrf_token in the page (status ${page.status})`);
    return { page, token };
  }

  async postForm(fields: Readonly<Record<string, string>>, headers: Readonly<Record<string, string>> = {}): Promise<Reply> {
    return this.request('/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }
}
