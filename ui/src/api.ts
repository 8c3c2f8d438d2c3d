// The API client: same-origin fetch with the signed-in key, and the
// operator's chosen tenant in X-Kiln-Tenant.
import type { DeadLetter, Execution, Me, Script, Tenant, Version } from './types';

const keyItem = 'kiln.key';
const tenantItem = 'kiln.tenant';

/** The key lives in sessionStorage only: it is gone when the tab closes. */
export const session = {
  get key(): string | null {
    return sessionStorage.getItem(keyItem);
  },
  get tenant(): string | null {
    return sessionStorage.getItem(tenantItem);
  },
  signIn(key: string) {
    sessionStorage.setItem(keyItem, key);
  },
  setTenant(slug: string | null) {
    if (slug) sessionStorage.setItem(tenantItem, slug);
    else sessionStorage.removeItem(tenantItem);
  },
  signOut() {
    sessionStorage.removeItem(keyItem);
    sessionStorage.removeItem(tenantItem);
  },
};

/** An error answer of the API: {"error": {"code", "message", "details"}}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called when the server refuses the key (401), so the app can sign out. */
let onUnauthorized: (message: string) => void = () => {};
export function setUnauthorizedHandler(f: (message: string) => void) {
  onUnauthorized = f;
}

export async function request<T>(method: string, path: string, body?: unknown, key = session.key): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  const tenant = session.tenant;
  if (tenant) headers['X-Kiln-Tenant'] = tenant;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server could not be reached. Check that kiln serve is running.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })?.error;
    const err = new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? (text.trim() || res.statusText), e?.details);
    if (res.status === 401 && key === session.key) onUnauthorized(err.message);
    throw err;
  }
  return json as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface ScriptInput {
  name?: string;
  description?: string;
  type?: Script['type'];
  status?: Script['status'];
  language?: Script['language'];
  trigger?: Script['trigger'];
  limits?: Script['limits'];
  source?: string;
  changeDescription?: string;
}

const id = encodeURIComponent;

export const api = {
  me: (key?: string) => request<Me>('GET', '/api/me', undefined, key ?? session.key),
  tenants: () => request<{ tenants: Tenant[] }>('GET', '/api/tenants'),

  scripts: (p: { q?: string; type?: string; status?: string; limit?: number; cursor?: string }) =>
    request<{ scripts: Script[]; nextCursor: string }>('GET', `/api/scripts${query(p)}`),
  script: (sid: string) => request<Script>('GET', `/api/scripts/${id(sid)}`),
  createScript: (s: ScriptInput) => request<Script>('POST', '/api/scripts', s),
  updateScript: (sid: string, s: ScriptInput) => request<Script>('PUT', `/api/scripts/${id(sid)}`, s),
  archiveScript: (sid: string) => request<void>('DELETE', `/api/scripts/${id(sid)}`),
  versions: (sid: string) => request<{ versions: Version[] }>('GET', `/api/scripts/${id(sid)}/versions`),
  version: (sid: string, n: number) => request<Version>('GET', `/api/scripts/${id(sid)}/versions/${n}`),
  rollback: (sid: string, version: number, changeDescription?: string) =>
    request<Script>('POST', `/api/scripts/${id(sid)}/rollback`, { version, changeDescription }),
  execute: (sid: string, input: unknown, async = true) =>
    request<Execution>('POST', `/api/scripts/${id(sid)}/execute`, { input, async }),

  executions: (p: { script?: string; status?: string; trigger?: string; limit?: number; cursor?: string }) =>
    request<{ executions: Execution[]; nextCursor: string }>('GET', `/api/executions${query(p)}`),
  execution: (eid: string) => request<Execution>('GET', `/api/executions/${id(eid)}`),

  deadLetters: (p: { script?: string; status?: string; limit?: number; cursor?: string }) =>
    request<{ deadLetters: DeadLetter[]; nextCursor: string }>('GET', `/api/dlq${query(p)}`),
  deadLetter: (did: string) => request<DeadLetter>('GET', `/api/dlq/${id(did)}`),
  replay: (did: string) => request<{ deliveryId: string }>('POST', `/api/dlq/${id(did)}/replay`),
  discard: (did: string) => request<void>('DELETE', `/api/dlq/${id(did)}`),

  /** The SDK's type declarations for the editor, or null if this server has none. */
  async sdkTypes(): Promise<string | null> {
    const headers: Record<string, string> = {};
    if (session.key) headers.Authorization = `Bearer ${session.key}`;
    try {
      const res = await fetch('/api/sdk/iota.d.ts', { headers });
      if (!res.ok) return null;
      return await res.text();
    } catch {
      return null;
    }
  },
};

/** Resolves after ms, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
