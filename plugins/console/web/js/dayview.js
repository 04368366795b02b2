// The agenda: one day per doctor or per location, and a week. Rows are the
// instants that start something (a free slot or an appointment), labelled on
// the location's wall clock; on the autumn DST day a wall-clock time that
// happens twice is labelled with its offset, and on the spring day the
// missing hour simply has no row.

import { h, clear, option, field } from './dom.js';
import { t, locale } from './i18n.js';
import { get, all, post } from './api.js';
import { directory, doctorById, serviceById, locationById, zoneOf, patient, patientName } from './directory.js';
import { localTime, offsetName, todayAt, addDays, longDate, shortDate, isoWeekday, localDate, rowLabels } from './time.js';
import { bookDialog, cancelDialog, rescheduleDialog } from './dialogs.js';

const STATUS_ACTIONS = {
  pending: ['confirm', 'check-in', 'reschedule', 'cancel', 'no-show'],
  confirmed: ['check-in', 'reschedule', 'cancel', 'no-show'],
  checked_in: ['complete', 'cancel'],
};
const ACTION_ROLES = { complete: ['admin', 'doctor', 'nurse'], 'no-show': ['admin', 'doctor', 'nurse', 'receptionist'] };

export const statusLabel = (status) => t(`status_${status}`);

/// The choice of day, location, doctor and service, kept in the URL so a
/// reload (or a bookmark at the desk) comes back to the same screen.
function readState(params, user) {
  const firstLocation = directory.locations[0] ? directory.locations[0].id : 0;
  const doctorId = Number(params.get('doctor') || (user.role === 'doctor' && user.doctor_id) || 0);
  const doctor = doctorById(doctorId);
  const locationId = Number(params.get('location') || (doctor && doctor.location_id) || firstLocation);
  return {
    locationId,
    doctorId: doctor ? doctorId : 0,
    serviceId: Number(params.get('service') || 0),
    date: params.get('date') || todayAt(zoneOf(locationId)),
  };
}

function writeState(route, state) {
  const q = new URLSearchParams();
  q.set('location', state.locationId);
  if (state.doctorId) q.set('doctor', state.doctorId);
  if (state.serviceId) q.set('service', state.serviceId);
  q.set('date', state.date);
  history.replaceState(null, '', `#/${route}?${q}`);
}

function serviceFor(doctor, serviceId) {
  const ids = doctor.service_ids || [];
  return ids.includes(serviceId) ? serviceId : ids[0];
}

function toolbar(state, route, onChange) {
  const location = h('select', {}, directory.locations.map((l) => option(l.id, l.name, state.locationId)));
  const doctor = h('select', {}, option(0, t('all_doctors'), state.doctorId),
    directory.doctors.map((d) => option(d.id, `${d.name} (${d.specialty})`, state.doctorId)));
  const service = h('select', {}, option(0, t('each_doctors_first_service'), state.serviceId),
    directory.services.map((s) => option(s.id, `${s.name} (${s.duration_min} min)`, state.serviceId)));
  const date = h('input', { type: 'date', value: state.date, required: true });
  const step = route === 'week' ? 7 : 1;
  const change = () => {
    Object.assign(state, {
      locationId: Number(location.value), doctorId: Number(doctor.value), serviceId: Number(service.value),
      date: date.value || state.date,
    });
    onChange();
  };
  for (const c of [location, doctor, service, date]) c.addEventListener('change', change);
  const move = (days) => () => {
    date.value = days === 0 ? todayAt(zoneOf(state.locationId)) : addDays(state.date, days);
    change();
  };
  return h('form', { class: 'toolbar', onsubmit: (e) => e.preventDefault() },
    field(`${route}-location`, t('location'), location),
    field(`${route}-doctor`, t('doctor'), doctor),
    field(`${route}-service`, t('service'), service),
    field(`${route}-date`, t('date'), date),
    h('button', { type: 'button', class: 'secondary', onclick: move(-step), 'aria-label': t(route === 'week' ? 'previous_week' : 'previous_day') }, '←'),
    h('button', { type: 'button', class: 'secondary', onclick: move(0) }, t('today')),
    h('button', { type: 'button', class: 'secondary', onclick: move(step), 'aria-label': t(route === 'week' ? 'next_week' : 'next_day') }, '→'),
    h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, t('print')));
}

/// Free slots and appointments of the columns' doctors over [from, to].
async function loadDays(state, from, to) {
  const doctors = state.doctorId ? [doctorById(state.doctorId)] : directory.doctors;
  const perDoctor = await Promise.all(doctors.map(async (d) => {
    const serviceId = serviceFor(d, state.serviceId);
    const [slots, appointments] = await Promise.all([
      serviceId ? get(`/availability?doctor_id=${d.id}&service_id=${serviceId}&from=${from}&to=${to}`)
        .then((r) => r.items).catch(() => []) : [],
      all(`/appointments?doctor_id=${d.id}&from=${from}&to=${to}`),
    ]);
    const here = (x) => state.doctorId || x.location_id === state.locationId;
    return { doctor: d, serviceId, slots: slots.filter(here), appointments: appointments.filter(here) };
  }));
  // A location's columns: its own doctors, and any other with something here that day.
  return perDoctor.filter((c) => state.doctorId || c.doctor.location_id === state.locationId
    || c.slots.length || c.appointments.length);
}

function appointmentCard(a, ctx, names, zone, reload) {
  const start = Date.parse(a.start);
  const service = serviceById(a.service_id);
  const name = patientName(names.get(a.patient_id)) || t('patient_number', { id: a.patient_id });
  const actions = (STATUS_ACTIONS[a.status] || []).filter((act) => {
    if (ACTION_ROLES[act] && !ACTION_ROLES[act].includes(ctx.user.role)) return false;
    return act !== 'no-show' || start <= Date.now();
  });
  const run = (act) => async () => {
    if (act === 'cancel') return cancelDialog(a, name, reload);
    if (act === 'reschedule') return rescheduleDialog(a, name, zone, reload);
    try {
      await post(`/appointments/${a.id}/${act}`);
      ctx.notify(t(`done_${act}`, { name }));
    } catch (e) {
      ctx.notify(e.message, true);
    }
    return reload();
  };
  return h('div', { class: `appt status-${a.status}`, dataset: { appointmentId: a.id, status: a.status } },
    h('div', {}, h('span', { class: 'appt-time' }, `${localTime(start, zone)}–${localTime(Date.parse(a.end), zone)} `),
      h('span', { class: 'badge' }, statusLabel(a.status))),
    h('div', { class: 'who-line' }, name),
    h('div', { class: 'muted' }, service ? service.name : ''),
    a.cancel_reason ? h('div', { class: 'muted' }, t('reason_shown', { reason: a.cancel_reason })) : null,
    actions.length ? h('div', { class: 'actions' }, actions.map((act) => h('button', {
      type: 'button', class: act === 'cancel' || act === 'no-show' ? 'danger' : 'secondary',
      dataset: { action: act, focusKey: `appt-${a.id}-${act}` }, 'aria-label': `${t(`action_${act}`)}: ${name}, ${localTime(start, zone)}`,
      onclick: run(act),
    }, t(`action_${act}`)))) : null);
}

async function namesOf(columns) {
  const ids = [...new Set(columns.flatMap((c) => c.appointments.map((a) => a.patient_id)))];
  const found = await Promise.all(ids.map((id) => patient(id)));
  return new Map(ids.map((id, i) => [id, found[i]]));
}

/// Redraws without losing the keyboard user's place: the focused control is
/// found again by its key after the table is rebuilt.
function keepFocus(container, draw) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.focusKey : null;
  draw();
  if (key) {
    const again = container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

export function dayView(view, ctx) {
  const state = readState(ctx.params, ctx.user);
  const title = h('h1', { id: 'day-title' });
  const zoneNote = h('p', { class: 'zone-note' });
  const grid = h('div', { id: 'agenda', 'aria-live': 'off' });
  const refresh = async () => {
    writeState('day', state);
    const zone = zoneOf(state.locationId);
    const loc = locationById(state.locationId);
    title.textContent = `${t('nav_day')}: ${longDate(state.date, locale())}`;
    zoneNote.textContent = t('times_in_zone', { place: loc ? loc.name : '', zone, offset: offsetName(Date.parse(`${state.date}T12:00:00Z`), zone) });
    const columns = await loadDays(state, state.date, state.date);
    const names = await namesOf(columns);
    const instants = new Set();
    for (const c of columns) {
      for (const s of c.slots) instants.add(Date.parse(s.start));
      for (const a of c.appointments) instants.add(Date.parse(a.start));
    }
    const rows = [...instants].sort((a, b) => a - b);
    const labels = rowLabels(rows, zone);
    const label = (ms) => labels.get(ms);
    const table = h('table', { class: 'agenda', 'aria-describedby': 'day-title' },
      h('caption', {}, `${loc ? loc.name : ''} · ${longDate(state.date, locale())}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('time')),
        columns.map((c) => h('th', { scope: 'col' }, c.doctor.name)))),
      h('tbody', {}, rows.map((ms) => {
        let onlyFree = true;
        const cells = columns.map((c) => {
          const here = c.appointments.filter((a) => Date.parse(a.start) === ms);
          if (here.length) onlyFree = false;
          const slot = c.slots.find((s) => Date.parse(s.start) === ms);
          return h('td', {},
            here.map((a) => appointmentCard(a, ctx, names, zone, refresh)),
            slot ? h('button', {
              type: 'button', class: 'slot',
              dataset: { start: slot.start, doctorId: c.doctor.id, focusKey: `slot-${c.doctor.id}-${ms}` },
              // The accessible name starts with the visible text (WCAG 2.5.3).
              'aria-label': `${t('free_book', { time: label(ms) })}, ${c.doctor.name}`,
              onclick: () => bookDialog({ slot, doctor: c.doctor, serviceId: c.serviceId, zone, onDone: refresh, notify: ctx.notify }),
            }, t('free_book', { time: label(ms) })) : null);
        });
        return h('tr', { class: onlyFree ? 'free-only' : null }, h('th', { scope: 'row' }, label(ms)), cells);
      })));
    keepFocus(grid, () => {
      clear(grid);
      grid.append(rows.length ? table : h('p', { class: 'muted' }, t('nothing_this_day')));
    });
  };
  view.append(h('section', { 'aria-labelledby': 'day-title', id: 'view-day' },
    title, toolbar(state, 'day', refresh), zoneNote, grid));
  return { refresh };
}

export function weekView(view, ctx) {
  const state = readState(ctx.params, ctx.user);
  const title = h('h1', { id: 'week-title' });
  const grid = h('div', { id: 'week' });
  const refresh = async () => {
    writeState('week', state);
    const zone = zoneOf(state.locationId);
    const monday = addDays(state.date, 1 - isoWeekday(state.date));
    const days = [0, 1, 2, 3, 4, 5, 6].map((i) => addDays(monday, i));
    title.textContent = `${t('nav_week')}: ${shortDate(days[0], locale())} – ${shortDate(days[6], locale())}`;
    const columns = await loadDays(state, days[0], days[6]);
    const names = await namesOf(columns);
    const byDay = new Map(days.map((d) => [d, { free: 0, items: [] }]));
    for (const c of columns) {
      for (const s of c.slots) {
        const d = byDay.get(localDate(Date.parse(s.start), zone));
        if (d) d.free += 1;
      }
      for (const a of c.appointments) {
        const d = byDay.get(localDate(Date.parse(a.start), zone));
        if (d) d.items.push({ a, doctor: c.doctor });
      }
    }
    const table = h('table', { class: 'agenda' },
      h('caption', {}, t('week_caption', { zone })),
      h('thead', {}, h('tr', {}, days.map((d) => h('th', { scope: 'col' },
        h('a', { href: `#/day?location=${state.locationId}${state.doctorId ? `&doctor=${state.doctorId}` : ''}&date=${d}` }, shortDate(d, locale())))))),
      h('tbody', {}, h('tr', {}, days.map((d) => {
        const day = byDay.get(d);
        day.items.sort((x, y) => Date.parse(x.a.start) - Date.parse(y.a.start));
        return h('td', {}, h('div', { class: 'muted' }, t('free_slots', { count: day.free })),
          day.items.map(({ a, doctor }) => h('div', { class: `appt status-${a.status}`, dataset: { appointmentId: a.id } },
            h('span', {}, `${localTime(Date.parse(a.start), zone)} `), h('span', { class: 'badge' }, statusLabel(a.status)),
            h('div', { class: 'who-line' }, patientName(names.get(a.patient_id)) || t('patient_number', { id: a.patient_id })),
            state.doctorId ? null : h('div', { class: 'muted' }, doctor.name))));
      }))));
    clear(grid).append(table);
  };
  view.append(h('section', { 'aria-labelledby': 'week-title', id: 'view-week' }, title, toolbar(state, 'week', refresh), grid));
  return { refresh };
}
