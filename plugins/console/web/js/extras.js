// The rest of the desk's work on one screen: the waitlist, the clinic's
// directory (locations, services, doctors with their hours and time off),
// and the notifications inbox and prescriptions when those plugins are
// loaded (an administrator asks /system/plugins; others see what answers).

import { h, clear, option, field } from './dom.js';
import { t } from './i18n.js';
import { get, all, post, api } from './api.js';
import { directory, serviceById, doctorById, patientName, patient } from './directory.js';
import { patientPicker, errorText } from './dialogs.js';

function card(id, title, ...body) {
  return h('section', { class: 'card', 'aria-labelledby': `${id}-title`, id }, h('h2', { id: `${id}-title` }, title), ...body);
}

function table(heads, rows) {
  return h('table', { class: 'plain' }, h('thead', {}, h('tr', {}, heads.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

async function loadedPlugins(user) {
  if (user.role === 'admin') {
    const r = await get('/system/plugins').catch(() => ({ items: [] }));
    return new Set((r.items || r.plugins || []).filter((p) => !p.state || p.state === 'started').map((p) => p.name));
  }
  const probe = async (name, path) => ((await api('GET', path).then(() => true, (e) => e.status !== 404)) ? name : null);
  return new Set(await Promise.all([probe('notifications', '/notifications'), probe('prescriptions', '/prescriptions?limit=1')]));
}

function waitlistCard(ctx) {
  const list = h('div', {});
  let chosen = null;
  const service = h('select', {}, directory.services.map((s) => option(s.id, s.name)));
  const doctor = h('select', {}, option('', t('any_doctor')), directory.doctors.map((d) => option(d.id, d.name)));
  const earliest = h('input', { type: 'datetime-local' });
  const latest = h('input', { type: 'datetime-local' });
  const error = h('p', { class: 'error', role: 'alert' });
  const iso = (local) => new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const load = async () => {
    const items = await all('/waitlist', 200);
    const names = await Promise.all(items.map((w) => patient(w.patient_id)));
    clear(list).append(items.length ? table([t('patient'), t('service'), t('doctor'), t('status'), ''],
      items.map((w, i) => [patientName(names[i]) || t('patient_number', { id: w.patient_id }), (serviceById(w.service_id) || {}).name || '',
        (doctorById(w.doctor_id) || {}).name || w.specialty || t('any_doctor'), w.status || '',
        h('button', { type: 'button', class: 'danger', 'aria-label': `${t('remove')}: ${patientName(names[i])}`,
          onclick: async () => { await api('DELETE', `/waitlist/${w.id}`).catch((e) => ctx.notify(errorText(e), true)); load(); } }, t('remove'))]))
      : h('p', { class: 'muted' }, t('none')));
  };
  const add = async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (!chosen || !earliest.value || !latest.value) {
      error.textContent = t('waitlist_incomplete');
      return;
    }
    const body = { patient_id: chosen.id, service_id: Number(service.value), earliest: iso(earliest.value), latest: iso(latest.value) };
    if (doctor.value) body.doctor_id = Number(doctor.value);
    try {
      await post('/waitlist', body);
      ctx.notify(t('waitlist_added'));
      load();
    } catch (err) {
      error.textContent = errorText(err);
    }
  };
  return {
    el: card('waitlist', t('waitlist'), list, h('form', { class: 'stack', onsubmit: add },
      patientPicker((p) => { chosen = p; }), field('wait-service', t('service'), service), field('wait-doctor', t('doctor'), doctor),
      field('wait-earliest', t('earliest'), earliest), field('wait-latest', t('latest'), latest), error,
      h('button', { type: 'submit' }, t('add_to_waitlist')))),
    load,
  };
}

function directoryCard(ctx) {
  const body = h('div', {});
  const doctor = h('select', {}, directory.doctors.map((d) => option(d.id, d.name)));
  const start = h('input', { type: 'datetime-local' });
  const end = h('input', { type: 'datetime-local' });
  const reason = h('input', { autocomplete: 'off' });
  const error = h('p', { class: 'error', role: 'alert' });
  const iso = (local) => new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const load = async () => {
    const doctors = await Promise.all(directory.doctors.map(async (d) => {
      const full = await get(`/doctors/${d.id}`).catch(() => d);
      const off = await all(`/doctors/${d.id}/time-off`, 50).catch(() => []);
      return { d: full, off };
    }));
    const hours = (d) => (d.hours || []).map((p) => `${t(`weekday_${p.weekday}`)} ${p.start}–${p.end}`).join(', ');
    const removeOff = (d, o) => h('button', { type: 'button', class: 'danger', 'aria-label': `${t('remove')}: ${d.name} ${o.start.slice(0, 16)}`,
      onclick: async () => { await api('DELETE', `/doctors/${d.id}/time-off/${o.id}`).catch((e) => ctx.notify(errorText(e), true)); load(); } }, t('remove'));
    clear(body).append(
      h('h3', {}, t('locations')), table([t('name'), t('address'), t('timezone')], directory.locations.map((l) => [l.name, `${l.address || ''}, ${l.city || ''}`, l.timezone])),
      h('h3', {}, t('services')), table([t('name'), t('duration'), t('price')], directory.services.map((s) => [s.name, `${s.duration_min} min`, `${(s.price_minor / 100).toFixed(2)} ${s.currency}`])),
      h('h3', {}, t('doctors')), table([t('name'), t('specialty'), t('hours'), t('time_off')], doctors.map(({ d, off }) => [d.name, d.specialty, hours(d),
        h('ul', { class: 'choices' }, off.map((o) => h('li', {}, `${o.start.slice(0, 16).replace('T', ' ')} – ${o.end.slice(0, 16).replace('T', ' ')} ${o.reason || ''} `, removeOff(d, o))))])));
  };
  const add = async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (!start.value || !end.value) {
      error.textContent = t('time_off_incomplete');
      return;
    }
    try {
      await post(`/doctors/${doctor.value}/time-off`, { start: iso(start.value), end: iso(end.value), reason: reason.value.trim() });
      load();
    } catch (err) {
      error.textContent = errorText(err);
    }
  };
  return {
    el: card('directory', t('directory'), body, h('form', { class: 'stack', onsubmit: add, novalidate: true },
      h('h3', {}, t('add_time_off')), field('off-doctor', t('doctor'), doctor), field('off-start', t('start'), start),
      field('off-end', t('end'), end), field('off-reason', t('reason'), reason), error, h('button', { type: 'submit' }, t('add_time_off')))),
    load,
  };
}

function notificationsCard(ctx) {
  const body = h('div', {});
  const load = async () => {
    const r = await get('/notifications?limit=50');
    clear(body).append(r.items.length ? h('ul', {}, r.items.map((n) => h('li', {}, `${n.title || n.subject || n.kind || ''} ${n.body || n.text || ''}`,
      n.read_at ? '' : h('button', { type: 'button', class: 'secondary', onclick: async () => { await post(`/notifications/${n.id}/read`); load(); } }, t('mark_read')))))
      : h('p', { class: 'muted' }, t('none')));
  };
  return { el: card('notifications', t('notifications'), body), load };
}

function prescriptionsCard(ctx) {
  const body = h('div', {});
  const load = async () => {
    const r = await get('/prescriptions?limit=50');
    const names = await Promise.all(r.items.map((p) => patient(p.patient_id)));
    clear(body).append(r.items.length ? table([t('patient'), t('status'), t('items')], r.items.map((p, i) => [patientName(names[i]) || p.patient_id, p.status,
      (p.items || []).map((x) => `${x.drug || x.drug_id} ${x.dose || ''}`).join('; ')]))
      : h('p', { class: 'muted' }, t('none')));
  };
  return { el: card('prescriptions', t('prescriptions'), body), load };
}

export function extrasView(view, ctx) {
  const cards = h('div', { class: 'cards' });
  const parts = [waitlistCard(ctx)];
  if (ctx.user.role === 'admin' || ctx.user.role === 'receptionist') parts.push(directoryCard(ctx));
  view.append(h('section', { 'aria-labelledby': 'extras-title', id: 'view-extras' }, h('h1', { id: 'extras-title' }, t('nav_extras')), cards));
  let extended = false;
  const refresh = async () => {
    if (!extended) {
      extended = true;
      const loaded = await loadedPlugins(ctx.user);
      if (loaded.has('notifications')) parts.push(notificationsCard(ctx));
      if (loaded.has('prescriptions')) parts.push(prescriptionsCard(ctx));
      for (const p of parts) cards.append(p.el);
    }
    await Promise.all(parts.map((p) => p.load().catch((e) => p.el.append(h('p', { class: 'error' }, errorText(e))))));
  };
  return { refresh };
}
