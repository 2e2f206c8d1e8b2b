/** Shared set-up for the dashboard unit tests: an in-memory store, users, and a logged-in client over inject. */
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildDashboard, type Dashboard, type DashboardOptions } from '../../../src/serve/app.ts';
import { newUser } from '../../../src/serve/users.ts';
import { openStore } from '../../../src/store/open.ts';
import type { Repository, UserRole } from '../../../src/store/repository.ts';

export const PASSWORD = 'correct horse battery staple';

export interface Fixture extends Dashboard {
  readonly repo: Repository;
  readonly users: Repository;
  close(): Promise<void>;
}

export async function fixture(options: Partial<DashboardOptions> = {}): Promise<Fixture> {
  const repo = await openStore(':memory:');
  for (const role of ['viewer', 'operator', 'admin'] as const)
    await repo.createUser(await newUser(role, role, PASSWORD));
  const d = await buildDashboard({ repo, secureCookies: false, ...options });
  return {
    ...d,
    repo,
    users: repo,
    async close() {
      await d.app.close();
      await repo.close();
    },
  };
}

export function cookieOf(res: LightMyRequestResponse): string | null {
  const raw = res.headers['set-cookie'];
  const first = Array.isArray(raw) ? raw[0] : raw;
  return first ? first.split(';')[0]! : null;
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, 'the page carries a CSRF token');
  return m[1]!;
}

/** A browser-like client: keeps the session cookie it is given. */
export class Client {
  readonly app: FastifyInstance;
  cookie: string | null = null;
  readonly ip: string;

  constructor(app: FastifyInstance, ip = '127.0.0.1') {
    this.app = app;
    this.ip = ip;
  }

  async request(opts: {
    method?: 'GET' | 'POST';
    url: string;
    form?: Record<string, string>;
    headers?: Record<string, string>;
  }): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({
      method: opts.method ?? 'GET',
      url: opts.url,
      remoteAddress: this.ip,
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...(opts.headers ?? {}) },
      ...(opts.form ? { payload: opts.form } : {}),
    });
    const c = cookieOf(res);
    if (c) this.cookie = c;
    return res;
  }

  /** A fresh CSRF token from a page of this session. */
  async csrf(url = '/login'): Promise<string> {
    return csrfOf((await this.request({ url })).body);
  }

  async login(name: string, password = PASSWORD): Promise<LightMyRequestResponse> {
    const token = await this.csrf('/login');
    return this.request({ method: 'POST', url: '/login', form: { name, password, _csrf: token } });
  }
}

export async function loggedIn(app: FastifyInstance, role: UserRole): Promise<Client> {
  const c = new Client(app);
  const res = await c.login(role);
  assert.equal(res.statusCode, 303, `login as ${role}`);
  return c;
}
