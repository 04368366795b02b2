// The notifications plugin's screens, with its field names
// (plugins/notifications/NotificationRoutes.cpp): the signed-in user's inbox
// ({id, kind, subject, body, created_at, read_at}), their preferences
// ({email, sms, in_app, language}) and, for the administrator, the outbox
// ({id, kind, channel, recipient, subject, status, attempts, last_error,
// due_at, sent_at, ...}) with a retry for a failed or skipped message.

import { h, clear, option, field } from './dom.js';
import { t } from './i18n.js';
import { get, api, post } from './api.js';
import { errorText } from './dialogs.js';

function card(id, title, ...body) {
  return h('section', { class: 'card', 'aria-labelledby': `${id}-title`, id }, h('h2', { id: `${id}-title` }, title), ...body);
}

const when = (instant) => (instant || '').slice(0, 16).replace('T', ' ');

export function inboxCard(ctx) {
  const body = h('div', {});
  const load = async () => {
    const r = await get('/notifications?limit=50');
    const unread = r.items.filter((n) => !n.read_at).length;
    clear(body).append(
      unread ? h('button', { type: 'button', class: 'secondary', id: 'inbox-read-all', onclick: async () => {
        await post('/notifications/read-all').catch((e) => ctx.notify(errorText(e), true));
        load();
      } }, t('mark_all_read')) : null,
      r.items.length ? h('ul', { class: 'inbox' }, r.items.map((n) => h('li', { class: n.read_at ? 'read' : 'unread', dataset: { notificationId: n.id } },
        h('strong', {}, n.subject), ` · ${when(n.created_at)}`, h('div', {}, n.body),
        n.read_at ? null : h('button', { type: 'button', class: 'secondary', 'aria-label': `${t('mark_read')}: ${n.subject}`, onclick: async () => {
          await post(`/notifications/${n.id}/read`).catch((e) => ctx.notify(errorText(e), true));
          load();
        } }, t('mark_read')))))
        : h('p', { class: 'muted' }, t('none')));
  };
  return { el: card('notifications', t('notifications'), body), load };
}

export function preferencesCard(ctx) {
  const channels = ['email', 'sms', 'in_app'];
  const boxes = Object.fromEntries(channels.map((c) => [c, h('input', { type: 'checkbox', id: `pref-${c}` })]));
  const language = h('select', {}, option('', t('language_of_record')), option('ro', 'Română'), option('en', 'English'));
  const error = h('p', { class: 'error', role: 'alert', id: 'pref-error' });
  const load = async () => {
    const p = await get('/notification-preferences');
    for (const c of channels) boxes[c].checked = Boolean(p[c]);
    language.value = p.language || '';
  };
  const save = async (e) => {
    e.preventDefault();
    error.textContent = '';
    const body = Object.fromEntries(channels.map((c) => [c, boxes[c].checked]));
    body.language = language.value || null;
    try {
      await api('PUT', '/notification-preferences', body);
      ctx.notify(t('saved'));
    } catch (err) {
      error.textContent = errorText(err);
    }
  };
  const form = h('form', { class: 'stack', onsubmit: save, id: 'preferences-form' },
    h('fieldset', {}, h('legend', {}, t('channels')), channels.map((c) => h('div', {}, boxes[c], ' ', h('label', { for: `pref-${c}` }, t(`channel_${c}`))))),
    field('pref-language', t('language'), language), error, h('button', { type: 'submit', id: 'pref-save' }, t('save')));
  return { el: card('preferences', t('notification_preferences'), form), load };
}

export function outboxCard(ctx) {
  const statuses = ['queued', 'sending', 'sent', 'failed', 'skipped'];
  const filter = h('select', {}, option('', t('all')), statuses.map((s) => option(s, t(`outbox_${s}`))));
  const body = h('div', { id: 'outbox-list' });
  const load = async () => {
    const r = await get(`/outbox?limit=50${filter.value ? `&status=${filter.value}` : ''}`);
    clear(body).append(r.items.length ? h('table', { class: 'plain' },
      h('thead', {}, h('tr', {}, [t('due'), t('channel'), t('recipient'), t('subject'), t('status'), t('attempts'), t('last_error'), '']
        .map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, r.items.map((m) => h('tr', { dataset: { outboxId: m.id, status: m.status } },
        h('td', {}, when(m.due_at)), h('td', {}, t(`channel_${m.channel}`)), h('td', {}, m.recipient), h('td', {}, m.subject),
        h('td', {}, t(`outbox_${m.status}`)), h('td', {}, m.attempts), h('td', {}, m.last_error || ''),
        h('td', {}, m.status === 'failed' || m.status === 'skipped' ? h('button', { type: 'button', class: 'secondary',
          'aria-label': `${t('retry')}: ${m.subject}`, onclick: async () => {
            await post(`/outbox/${m.id}/retry`).catch((e) => ctx.notify(errorText(e), true));
            load();
          } }, t('retry')) : '')))))
      : h('p', { class: 'muted' }, t('none')));
  };
  filter.addEventListener('change', () => load().catch((e) => ctx.notify(errorText(e), true)));
  return { el: card('outbox', t('outbox'), h('div', { class: 'toolbar' }, field('outbox-status', t('status'), filter)), body), load };
}
