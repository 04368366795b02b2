// The signed-in user's tokens. Kept in sessionStorage: a terminal's tab keeps
// its session across a reload, a closed tab forgets it, and two tabs never
// spend each other's refresh token. The access token is renewed before it
// expires, so a receptionist is not thrown out in the middle of a booking.

const KEY = 'clinicd.console.session';
const listeners = new Set();
let state = null;
let refreshTimer = null;
let refreshing = null;

export function current() {
  return state;
}

export function onChange(listener) {
  listeners.add(listener);
}

function notify() {
  for (const l of listeners) l(state);
}

function store(answer) {
  state = {
    access: answer.access_token,
    refresh: answer.refresh_token,
    user: answer.user || (state && state.user),
    expiresAt: Date.now() + (answer.expires_in || 300) * 1000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(state));
  schedule();
}

function schedule() {
  clearTimeout(refreshTimer);
  if (!state) return;
  // At three quarters of the token's life, and never in a tight loop.
  const lifetime = state.expiresAt - Date.now();
  const wait = Math.max(5000, lifetime * 0.75);
  refreshTimer = setTimeout(() => { refresh().catch(() => {}); }, wait);
}

export function restore() {
  try {
    state = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    state = null;
  }
  if (state && state.refresh) schedule();
  return state;
}

async function post(path, body, token) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body), cache: 'no-store' });
  let json = null;
  try { json = await res.json(); } catch { json = null; }
  return { ok: res.ok, status: res.status, json };
}

export async function signIn(username, password) {
  const r = await post('/auth/login', { username, password });
  if (!r.ok) {
    const e = new Error((r.json && r.json.error && r.json.error.message) || `HTTP ${r.status}`);
    e.code = r.json && r.json.error && r.json.error.code;
    throw e;
  }
  store(r.json);
  notify();
  return state;
}

/// One refresh at a time: two requests that meet an expired token share it.
export function refresh() {
  if (!state || !state.refresh) return Promise.resolve(false);
  if (!refreshing) {
    refreshing = post('/auth/refresh', { refresh_token: state.refresh })
      .then((r) => {
        if (!r.ok) {
          end();
          return false;
        }
        store(r.json);
        return true;
      })
      .catch(() => false)
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

function end() {
  clearTimeout(refreshTimer);
  state = null;
  sessionStorage.removeItem(KEY);
  notify();
}

export async function signOut() {
  if (state) {
    try { await post('/auth/logout', { refresh_token: state.refresh }, state.access); } catch { /* gone anyway */ }
  }
  end();
}
