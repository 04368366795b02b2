// The rest of the desk's work on one screen: the waitlist (and booking an
// entry's slot), the clinic's directory (admin.js), and the notifications
// and prescriptions screens when those plugins are loaded (an administrator
// asks /system/plugins; others see what answers).

import { h, clear, option, field } from './dom.js';
import { t } from './i18n.js';
import { get, all, post, api } from './api.js';
import { directory, serviceById, doctorById, patientName, patient, zoneOf } from './directory.js';
import { patientPicker, errorText, modal } from './dialogs.js';
import { localTime, localDate } from './time.js';
import { directoryCard } from './admin.js';
import { inboxCard, preferencesCard, outboxCard } from './notices.js';
import { prescriptionsCard } from './prescribing.js';

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
  // A route that answers (even 403) is loaded; 404 is a plugin not loaded.
  const probe = async (name, path) => ((await api('GET', path).then(() => true, (e) => e.status !== 404)) ? name : null);
  return new Set(await Promise.all([probe('notifications', '/notifications?limit=1'), probe('prescriptions', '/prescriptions?limit=1')]));
}

function waitStatus(w) {
  if (w.status !== 'offered' || !w.offer) return t(`wait_${w.status}`);
  const d = doctorById(w.offer.doctor_id);
  const zone = zoneOf(d ? d.location_id : 0);
  const ms = Date.parse(w.offer.start);
  return t('wait_offered_at', { date: localDate(ms, zone), time: localTime(ms, zone), doctor: d ? d.name : '' });
}

/// The free slots an entry may take: its doctor's, or those of every doctor
/// of its specialty offering its service, inside [earliest, latest]. The
/// availability API takes local dates; the window's instants filter them.
async function slotsFor(w) {
  const doctors = w.doctor_id ? [doctorById(w.doctor_id)].filter(Boolean)
    : directory.doctors.filter((d) => (!w.specialty || d.specialty === w.specialty) && (d.service_ids || []).includes(w.service_id));
  const from = Math.max(Date.parse(w.earliest), Date.now());
  const to = Date.parse(w.latest);
  if (to < from) return [];
  const lists = await Promise.all(doctors.map(async (d) => {
    const zone = zoneOf(d.location_id);
    const last = Math.min(to, from + 61 * 86400000);
    const r = await get(`/availability?doctor_id=${d.id}&service_id=${w.service_id}&from=${localDate(from, zone)}&to=${localDate(last, zone)}`)
      .catch(() => ({ items: [] }));
    return r.items.map((s) => ({ ...s, doctor: d, zone }));
  }));
  return lists.flat().filter((s) => Date.parse(s.start) >= from && Date.parse(s.end) <= to)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start)).slice(0, 40);
}

/// Booking a waitlist entry: its offered slot first (a freed slot is not
/// held, so it may be gone), else any free slot of its window; once booked
/// the entry leaves the list.
function bookWaitlistDialog(w, who, ctx, onDone) {
  modal(t('book_waitlist_title', { name: patientName(who) || t('patient_number', { id: w.patient_id }) }), (close) => {
    const list = h('div', { class: 'slots-list', id: 'waitlist-slots' }, h('p', { class: 'muted' }, t('loading')));
    const error = h('p', { class: 'error', role: 'alert', id: 'waitlist-book-error' });
    const book = (s) => async () => {
      error.textContent = '';
      try {
        await post('/appointments', { patient_id: w.patient_id, doctor_id: s.doctor.id, service_id: w.service_id, start: s.start });
      } catch (err) {
        error.textContent = errorText(err);
        return;
      }
      await api('DELETE', `/waitlist/${w.id}`).catch(() => null);
      close();
      ctx.notify(t('booked', { name: patientName(who) }));
      onDone();
    };
    const button = (s, offered) => h('button', { type: 'button', class: offered ? '' : 'secondary', dataset: { start: s.start, doctorId: s.doctor.id },
      'aria-label': `${offered ? t('offered_slot') : t('book_slot')}: ${localDate(Date.parse(s.start), s.zone)} ${localTime(Date.parse(s.start), s.zone)}, ${s.doctor.name}`,
      onclick: book(s) }, `${offered ? `${t('offered_slot')}: ` : ''}${localDate(Date.parse(s.start), s.zone)} ${localTime(Date.parse(s.start), s.zone)} · ${s.doctor.name}`);
    slotsFor(w).then((slots) => {
      clear(list);
      const offer = w.status === 'offered' && w.offer ? doctorById(w.offer.doctor_id) : null;
      if (offer) list.append(button({ start: w.offer.start, doctor: offer, zone: zoneOf(offer.location_id) }, true));
      const rest = slots.filter((s) => !(offer && Date.parse(s.start) === Date.parse(w.offer.start) && s.doctor.id === offer.id));
      if (!rest.length && !offer) list.append(h('p', { class: 'muted' }, t('no_free_slots')));
      for (const s of rest) list.append(button(s, false));
    }, (err) => { error.textContent = errorText(err); });
    return h('div', { class: 'stack' }, h('p', {}, t('choose_waitlist_slot')), list, error,
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary dialog-close', onclick: close }, t('close'))));
  });
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
        (doctorById(w.doctor_id) || {}).name || w.specialty || t('any_doctor'), waitStatus(w),
        h('div', { class: 'buttons', dataset: { waitlistId: w.id } },
          h('button', { type: 'button', class: 'secondary', dataset: { action: 'book-waitlist' }, 'aria-label': `${t('book_slot')}: ${patientName(names[i])}`,
            onclick: () => bookWaitlistDialog(w, names[i], ctx, load) }, t('book_slot')),
          h('button', { type: 'button', class: 'danger', 'aria-label': `${t('remove')}: ${patientName(names[i])}`,
            onclick: async () => { await api('DELETE', `/waitlist/${w.id}`).catch((e) => ctx.notify(errorText(e), true)); load(); } }, t('remove')))]))
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
      if (loaded.has('notifications')) {
        parts.push(inboxCard(ctx), preferencesCard(ctx));
        if (ctx.user.role === 'admin') parts.push(outboxCard(ctx));
      }
      // Reception may not read prescriptions (clinical data).
      if (loaded.has('prescriptions') && ['admin', 'doctor', 'nurse'].includes(ctx.user.role)) parts.push(prescriptionsCard(ctx));
      for (const p of parts) cards.append(p.el);
    }
    await Promise.all(parts.map((p) => p.load().catch((e) => p.el.append(h('p', { class: 'error' }, errorText(e))))));
  };
  return { refresh };
}
