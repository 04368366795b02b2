// The API as the console calls it: the bearer token on every request, one
// silent refresh on a 401, and the error envelope turned into an ApiError
// whose message is the server's own (SLOT_TAKEN and RULE_REJECTED carry the
// text the clinic's staff should read).

import { current, refresh } from './session.js';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export async function api(method, path, body, options = {}) {
  for (let attempt = 0; ; attempt++) {
    const s = current();
    const headers = { Accept: options.accept || 'application/json' };
    if (s) headers.Authorization = `Bearer ${s.access}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    if (res.status === 401 && attempt === 0 && s && (await refresh())) continue;
    if (!res.ok) {
      let envelope = null;
      try { envelope = (await res.json()).error; } catch { envelope = null; }
      throw new ApiError(res.status, envelope ? envelope.code : `HTTP_${res.status}`,
        envelope ? envelope.message : res.statusText, envelope && envelope.details);
    }
    if (res.status === 204) return null;
    if (options.accept && options.accept !== 'application/json') return res.text();
    return res.json();
  }
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);

/// Every page of a list (the API pages with ?limit=&cursor=).
export async function all(path, cap = 2000) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(`${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < cap);
  return items;
}
