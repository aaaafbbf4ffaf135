import { readFileSync } from 'node:fs';
import { request as httpsRequest, type Agent } from 'node:https';

/** The CSRF token in a page's lookup form, or undefined when the page has none. */
export function formToken(html: string): string | undefined {
  return /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
}

/** One Set-Cookie line, split: attribute names lower-cased, flags (HttpOnly, Secure) with the value true. */
export interface SetCookie {
  readonly name: string;
  readonly value: string;
  readonly attributes: Readonly<Record<string, string | true>>;
}

/** The cookies a reply sets, in order. */
export function setCookies(reply: Pick<Reply, 'headers'>): SetCookie[] {
  return [reply.headers['set-cookie'] ?? []].flat().map((line) => {
    const [pair = '', ...rest] = line.split(';');
    const separator = pair.indexOf('=');
    const attributes: Record<string, string | true> = {};
    for (const part of rest) {
      const equals = part.indexOf('=');
      const key = (equals < 0 ? part : part.slice(0, equals)).trim().toLowerCase();
      if (key !== '') attributes[key] = equals < 0 ? true : part.slice(equals + 1).trim();
    }
    return { name: pair.slice(0, Math.max(separator, 0)).trim(), value: pair.slice(separator + 1).trim(), attributes };
  });
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

  /**
   * `path` in request() may also be a whole URL: one browser (one cookie jar)
   * can then talk to several servers trusting the same CA (replicas behind
   * one name). `headers` go with every request unless a request sets them.
   */
  constructor(
    readonly baseUrl: string,
    private readonly caFile?: string,
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  /** A cookie's current value, as the next request would send it. */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Sets (or, with undefined, removes) a cookie by hand: a stolen or planted one. */
  setCookie(name: string, value: string | undefined): void {
    if (value === undefined) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }

  /** Carries another visitor's cookies over (the same browser talking to a restarted server). */
  copyCookiesFrom(other: Browser): void {
    for (const [name, value] of other.cookies) this.cookies.set(name, value);
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...this.headers, ...options.headers };
    if (this.cookies.size > 0 && headers.cookie === undefined) headers.cookie = this.cookieHeader();
    const ca = this.caFile ? readFileSync(this.caFile) : undefined;
    const reply = await httpsFetch(new URL(path, this.baseUrl), { ...options, headers }, { ca, agent: false });
    for (const { name, value, attributes } of setCookies(reply)) {
      if (name === '') continue;
      // A cookie set empty or already expired is a deletion (how a server signs a browser out).
      const expired = attributes['max-age'] === '0' || (typeof attributes.expires === 'string' && Date.parse(attributes.expires) <= Date.now());
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
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
    return this.postFormTo('/', fields, headers);
  }

  /** POSTs a urlencoded form to `path` (a path on baseUrl or a whole URL). */
  async postFormTo(path: string, fields: Readonly<Record<string, string>>, headers: Readonly<Record<string, string>> = {}): Promise<Reply> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** GET the sign-in page (`origin` another replica's base URL, when given) and read its form token. */
  async openLoginPage(origin = this.baseUrl): Promise<{ page: Reply; token: string }> {
    const page = await this.request(new URL('/login', origin).href);
    const token = formToken(page.body);
    if (!token) throw new Error(`no csrf_token in the sign-in page (status ${page.status})`);
    return { page, token };
  }

  /** Signs in through the form as a person would: open the page, post the fields with its token. The POST's reply. */
  async signIn(username: string, password: string, { origin = this.baseUrl, next }: { origin?: string; next?: string } = {}): Promise<Reply> {
    const { token } = await this.openLoginPage(origin);
    return this.postFormTo(new URL('/login', origin).href, { username, password, csrf_token: token, ...(next === undefined ? {} : { next }) });
  }
}
