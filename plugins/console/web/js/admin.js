// The clinic's directory as the administrator keeps it: locations, services
// and doctors created and edited, each doctor's weekly hours replaced as a
// whole, and time off (which reception records too). Every form goes through
// the scheduling routes and shows a refusal as the server's own message;
// after a change the directory every screen reads is loaded again.

import { h, clear, option, field } from './dom.js';
import { t } from './i18n.js';
import { api, all, post } from './api.js';
import { directory, reloadDirectory, locationById } from './directory.js';
import { modal, errorText } from './dialogs.js';

const iso = (local) => new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z');

function table(heads, rows, caption) {
  return h('table', { class: 'plain' }, caption ? h('caption', { class: 'muted' }, caption) : null,
    h('thead', {}, h('tr', {}, heads.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

/// A modal form: fields built by build(), sent by send(body) as POST or
/// PATCH; the server's refusal stays in the dialog, a success closes it.
function editDialog(title, id, controls, collect, send, onDone) {
  return modal(title, (close) => {
    const error = h('p', { class: 'error', role: 'alert', id: `${id}-error` });
    const submit = h('button', { type: 'submit', id: `${id}-submit` }, t('save'));
    const save = async (e) => {
      e.preventDefault();
      error.textContent = '';
      submit.disabled = true;
      try {
        await send(collect());
        close();
        await onDone();
      } catch (err) {
        error.textContent = errorText(err);
      } finally {
        submit.disabled = false;
      }
    };
    return h('form', { onsubmit: save, id, novalidate: true }, controls, error,
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary dialog-close', onclick: close }, t('close')), submit));
  });
}

const text = (value, attrs = {}) => h('input', { autocomplete: 'off', value: value ?? '', ...attrs });
const trimmed = (el) => el.value.trim();

function zones() {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['Europe/Bucharest', 'Europe/London', 'UTC'];
  }
}

function locationDialog(l, onDone) {
  const f = {
    name: text(l && l.name), address: text(l && l.address), city: text(l && l.city), county: text(l && l.county),
    timezone: h('select', {}, zones().map((z) => option(z, z, (l && l.timezone) || 'Europe/Bucharest'))),
    phone: text(l && l.phone, { type: 'tel' }),
  };
  const collect = () => {
    const body = {};
    for (const [k, el] of Object.entries(f)) body[k] = trimmed(el);
    if (!body.phone) body.phone = null;
    return body;
  };
  editDialog(l ? t('edit_location', { name: l.name }) : t('new_location'), 'location-form',
    Object.entries(f).map(([k, el]) => field(`location-${k}`, t(`location_${k}`), el)), collect,
    (body) => (l ? api('PATCH', `/locations/${l.id}`, body) : post('/locations', body)), onDone);
}

function serviceDialog(s, onDone) {
  const f = {
    name: text(s && s.name), department: text(s && s.department),
    duration_min: text(s ? s.duration_min : 20, { type: 'number', min: 5, max: 480, step: 5 }),
    price: text(s ? (s.price_minor / 100).toFixed(2) : '0.00', { inputmode: 'decimal' }),
    currency: text(s ? s.currency : 'RON', { maxlength: 3, size: 4 }),
  };
  // The price is typed in lei (or euro) and sent in minor units; what is not
  // a number goes as it is, so the server names the field.
  const collect = () => {
    const price = Number(trimmed(f.price).replace(',', '.'));
    return { name: trimmed(f.name), department: trimmed(f.department), duration_min: Number(f.duration_min.value),
      price_minor: Number.isFinite(price) ? Math.round(price * 100) : trimmed(f.price), currency: trimmed(f.currency).toUpperCase() };
  };
  editDialog(s ? t('edit_service', { name: s.name }) : t('new_service'), 'service-form',
    Object.entries(f).map(([k, el]) => field(`service-${k}`, t(`service_${k}`), el)), collect,
    (body) => (s ? api('PATCH', `/services/${s.id}`, body) : post('/services', body)), onDone);
}

function doctorDialog(d, onDone) {
  const name = text(d && d.name);
  const specialty = text(d && d.specialty);
  const location = h('select', {}, directory.locations.map((l) => option(l.id, l.name, d && d.location_id)));
  const offered = new Set((d && d.service_ids) || []);
  const boxes = directory.services.map((s) => h('input', { type: 'checkbox', value: s.id, id: `doctor-service-${s.id}`, checked: offered.has(s.id) }));
  const services = h('fieldset', { class: 'choices-grid' }, h('legend', {}, t('services')),
    boxes.map((b, i) => h('div', {}, b, ' ', h('label', { for: b.id }, directory.services[i].name))));
  const collect = () => ({ name: trimmed(name), specialty: trimmed(specialty), location_id: Number(location.value),
    service_ids: boxes.filter((b) => b.checked).map((b) => Number(b.value)) });
  editDialog(d ? t('edit_doctor', { name: d.name }) : t('new_doctor'), 'doctor-form',
    [field('doctor-name', t('name'), name), field('doctor-specialty', t('specialty'), specialty),
      field('doctor-location', t('location'), location), services], collect,
    (body) => (d ? api('PATCH', `/doctors/${d.id}`, body) : post('/doctors', body)), onDone);
}

/// The weekly hours, one row per period, replaced as a whole by PUT.
function hoursDialog(d, hours, onDone) {
  const rows = h('tbody', {});
  let n = 0;
  const addRow = (p = { weekday: 1, start: '09:00', end: '13:00', location_id: d.location_id }) => {
    const i = ++n;
    const weekday = h('select', { 'aria-label': t('weekday_label', { row: i }) },
      [1, 2, 3, 4, 5, 6, 7].map((w) => option(w, t(`weekday_${w}`), p.weekday)));
    const start = h('input', { type: 'time', value: p.start, 'aria-label': t('start_label', { row: i }) });
    const end = h('input', { type: 'time', value: p.end, 'aria-label': t('end_label', { row: i }) });
    const location = h('select', { 'aria-label': t('location_label', { row: i }) },
      directory.locations.map((l) => option(l.id, l.name, p.location_id)));
    const tr = h('tr', { class: 'hours-row' }, h('td', {}, weekday), h('td', {}, start), h('td', {}, end), h('td', {}, location),
      h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `${t('remove')} ${i}`, onclick: () => tr.remove() }, t('remove'))));
    tr.period = () => ({ weekday: Number(weekday.value), start: start.value, end: end.value, location_id: Number(location.value) });
    rows.append(tr);
    return weekday;
  };
  for (const p of hours) addRow(p);
  const more = h('button', { type: 'button', class: 'secondary', id: 'hours-add', onclick: () => addRow().focus() }, t('add_period'));
  const dialog = editDialog(t('hours_of', { name: d.name }), 'hours-form',
    [h('table', { class: 'plain' }, h('thead', {}, h('tr', {}, [t('weekday'), t('start'), t('end'), t('location'), ''].map((x) => h('th', { scope: 'col' }, x)))), rows), more],
    () => [...rows.children].map((tr) => tr.period()),
    (body) => api('PUT', `/doctors/${d.id}/hours`, body), onDone);
  dialog.classList.add('wide-dialog');
}

export function directoryCard(ctx) {
  const admin = ctx.user.role === 'admin';
  const body = h('div', {});
  const doctor = h('select', {});
  const start = h('input', { type: 'datetime-local' });
  const end = h('input', { type: 'datetime-local' });
  const reason = h('input', { autocomplete: 'off' });
  const error = h('p', { class: 'error', role: 'alert', id: 'off-error' });
  const changed = async () => {
    await reloadDirectory();
    ctx.notify(t('saved'));
    await load();
  };
  const button = (label, id, onclick, aria) => h('button', { type: 'button', class: 'secondary', id, 'aria-label': aria, onclick }, label);
  async function load() {
    const doctors = await Promise.all(directory.doctors.map(async (d) => {
      const [full, off] = await Promise.all([api('GET', `/doctors/${d.id}`).catch(() => d),
        all(`/doctors/${d.id}/time-off`, 50).catch(() => [])]);
      return { d: full, off };
    }));
    const chosen = doctor.value;
    clear(doctor).append(...directory.doctors.map((d) => option(d.id, d.name, chosen)));
    const hours = (d) => (d.hours || []).map((p) => `${t(`weekday_${p.weekday}`)} ${p.start}–${p.end}`).join(', ');
    const removeOff = (d, o) => h('button', { type: 'button', class: 'danger', 'aria-label': `${t('remove')}: ${d.name} ${o.start.slice(0, 16)}`,
      onclick: async () => { await api('DELETE', `/doctors/${d.id}/time-off/${o.id}`).catch((e) => ctx.notify(errorText(e), true)); load(); } }, t('remove'));
    const edit = (what, x, open) => (admin ? button(t('edit'), `edit-${what}-${x.id}`, () => open(x, changed), `${t('edit')}: ${x.name}`) : '');
    clear(body).append(
      h('h3', {}, t('locations')),
      admin ? button(t('new_location'), 'new-location', () => locationDialog(null, changed)) : null,
      table([t('name'), t('address'), t('timezone'), ''], directory.locations.map((l) => [l.name,
        [l.address, l.city, l.county].filter(Boolean).join(', '), l.timezone, edit('location', l, locationDialog)])),
      h('h3', {}, t('services')),
      admin ? button(t('new_service'), 'new-service', () => serviceDialog(null, changed)) : null,
      table([t('name'), t('service_department'), t('duration'), t('price'), ''], directory.services.map((s) => [s.name, s.department,
        `${s.duration_min} min`, `${(s.price_minor / 100).toFixed(2)} ${s.currency}`, edit('service', s, serviceDialog)])),
      h('h3', {}, t('doctors')),
      admin ? button(t('new_doctor'), 'new-doctor', () => doctorDialog(null, changed)) : null,
      table([t('name'), t('specialty'), t('location'), t('hours'), t('time_off'), ''], doctors.map(({ d, off }) => [d.name, d.specialty,
        (locationById(d.location_id) || {}).name || '', hours(d),
        h('ul', { class: 'choices' }, off.map((o) => h('li', {}, `${o.start.slice(0, 16).replace('T', ' ')} – ${o.end.slice(0, 16).replace('T', ' ')} ${o.reason || ''} `, removeOff(d, o)))),
        admin ? h('div', { class: 'buttons' }, edit('doctor', d, doctorDialog),
          button(t('hours'), `edit-hours-${d.id}`, () => hoursDialog(d, d.hours || [], changed), `${t('hours')}: ${d.name}`)) : ''])));
  }
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
    el: h('section', { class: 'card wide', 'aria-labelledby': 'directory-title', id: 'directory' }, h('h2', { id: 'directory-title' }, t('directory')),
      body, h('form', { class: 'stack', onsubmit: add, novalidate: true },
        h('h3', {}, t('add_time_off')), field('off-doctor', t('doctor'), doctor), field('off-start', t('start'), start),
        field('off-end', t('end'), end), field('off-reason', t('reason'), reason), error, h('button', { type: 'submit' }, t('add_time_off')))),
    load,
  };
}
