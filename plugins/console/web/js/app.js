// The console's entry point: sign-in, the navigation by role, the hash routes
// (#/day, #/week, #/today, #/patients, #/dashboard, #/mine) and the live
// stream that keeps the open screen current.

import { h, clear } from './dom.js';
import { t, setLang, lang, translateStatic } from './i18n.js';
import * as session from './session.js';
import { LiveStream } from './stream.js';
import { loadDirectory, resetCaches } from './directory.js';
import { dayView, weekView } from './dayview.js';
import { patientsView } from './patients.js';
import { todayView } from './today.js';
import { dashboardView } from './dashboard.js';
import { mineView } from './mine.js';
import { extrasView } from './extras.js';

const STAFF = ['admin', 'receptionist', 'nurse', 'doctor'];

/// Each screen: its route, its title key, who sees it, and its renderer. A
/// renderer returns { refresh() } so live events can redraw it in place.
const SCREENS = [
  { route: 'day', title: 'nav_day', roles: STAFF, render: dayView },
  { route: 'week', title: 'nav_week', roles: STAFF, render: weekView },
  { route: 'today', title: 'nav_today', roles: ['doctor', 'nurse'], render: todayView },
  { route: 'patients', title: 'nav_patients', roles: STAFF, render: patientsView },
  { route: 'dashboard', title: 'nav_dashboard', roles: ['admin', 'receptionist'], render: dashboardView },
  { route: 'extras', title: 'nav_extras', roles: STAFF, render: extrasView },
  { route: 'mine', title: 'nav_mine', roles: ['patient'], render: mineView },
];

let screen = null;
let stream = null;
let refreshPending = null;

const $ = (id) => document.getElementById(id);

export function notify(message, isError = false) {
  const box = $('notice');
  box.classList.toggle('is-error', isError);
  box.textContent = message;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { box.textContent = ''; }, isError ? 9000 : 4000);
}

function screensFor(role) {
  return SCREENS.filter((s) => s.roles.includes(role));
}

function parseHash() {
  const [route, query] = location.hash.replace(/^#\/?/, '').split('?');
  return { route, params: new URLSearchParams(query || '') };
}

function drawNav(user) {
  const nav = clear($('nav'));
  const { route } = parseHash();
  for (const s of screensFor(user.role)) {
    nav.append(h('a', { href: `#/${s.route}`, 'aria-current': s.route === route ? 'page' : null }, t(s.title)));
  }
  nav.hidden = false;
}

/// Which show() is the latest: one still waiting for the directory when the
/// user moves on (a hash change right after sign-in) must not draw.
let shown = 0;

async function show() {
  const turn = ++shown;
  const s = session.current();
  const signedIn = Boolean(s);
  $('signin').hidden = signedIn;
  $('signout').hidden = !signedIn;
  $('who').textContent = signedIn ? t('signed_in_as', { name: s.user.username, role: t(`role_${s.user.role}`) }) : '';
  const view = clear($('view'));
  if (!signedIn) {
    $('nav').hidden = true;
    screen = null;
    $('username').focus();
    return;
  }
  const allowed = screensFor(s.user.role);
  let { route, params } = parseHash();
  let chosen = allowed.find((x) => x.route === route);
  if (!chosen) {
    chosen = allowed[0];
    history.replaceState(null, '', `#/${chosen.route}`);
    ({ route, params } = parseHash());
  }
  drawNav(s.user);
  try {
    await loadDirectory();
    if (turn !== shown) return;
    screen = chosen.render(view, { params, user: s.user, notify });
    await screen.refresh();
  } catch (e) {
    view.append(h('p', { class: 'error', role: 'alert' }, e.message));
  }
}

/// Many events may arrive together (a series, a busy desk): one redraw.
function refreshSoon() {
  if (refreshPending) return;
  refreshPending = setTimeout(async () => {
    refreshPending = null;
    if (screen && screen.refresh) {
      try { await screen.refresh(); } catch (e) { notify(e.message, true); }
    }
  }, 120);
}

function showLiveState(state) {
  const el = $('live-state');
  el.dataset.state = state;
  el.textContent = state === 'off' ? '' : t(`live_${state}`);
}

function startStream() {
  if (stream) stream.stop();
  stream = new LiveStream({
    url: '/api/v1/events/stream',
    token: () => (session.current() ? session.current().access : ''),
    refresh: session.refresh,
    onEvent: (event) => {
      // The resume point, shown for the browser test: after a drop the
      // stream asks for what came after it (Last-Event-ID).
      if (event.id) $('live-state').dataset.lastEventId = event.id;
      if (screen && screen.onEvent) screen.onEvent(event);
      refreshSoon();
    },
    onState: (state) => {
      showLiveState(state);
      // Back after a drop: what happened meanwhile is replayed from
      // Last-Event-ID, and one redraw makes sure the screen agrees.
      if (state === 'live') refreshSoon();
    },
  });
  stream.start();
}

function wire() {
  $('lang').value = lang();
  $('lang').addEventListener('change', (e) => {
    setLang(e.target.value);
    translateStatic();
    showLiveState($('live-state').dataset.state);
    show();
  });
  $('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('signin-error').textContent = '';
    try {
      await session.signIn($('username').value.trim(), $('password').value);
      $('password').value = '';
    } catch (err) {
      $('signin-error').textContent = err.code === 'UNAUTHENTICATED' ? t('signin_failed') : err.message;
    }
  });
  $('signout').addEventListener('click', () => session.signOut());
  window.addEventListener('hashchange', show);
  session.onChange((s) => {
    if (s && !stream) startStream();
    if (!s && stream) {
      stream.stop();
      stream = null;
      resetCaches();
      show();
    }
    if (s && !screen) show();
  });
}

function boot() {
  translateStatic();
  wire();
  const s = session.restore();
  if (s) startStream();
  show();
}

boot();
