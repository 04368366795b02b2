// Find a patient (name, phone, birth date, national id), register one, and
// open their summary: details, allergies, appointments and, for clinical
// staff, encounters and vitals. The server decides what each role may read;
// a refusal shows as a note, not as a broken screen.

import { h, clear, field } from './dom.js';
import { t } from './i18n.js';
import { get, all } from './api.js';
import { patientName, doctorById, serviceById, zoneOf } from './directory.js';
import { registerForm, errorText } from './dialogs.js';
import { localDate, localTime } from './time.js';
import { statusLabel } from './dayview.js';
import { patientPrescriptions } from './prescribing.js';
import { current } from './session.js';

function section(title, body, wide) {
  return h('div', { class: wide ? 'card wide' : 'card' }, h('h2', {}, title), body);
}

async function guarded(load, render) {
  try {
    return render(await load());
  } catch (e) {
    return h('p', { class: 'muted' }, e.status === 403 ? t('not_allowed_here') : errorText(e));
  }
}

export async function recordSummary(target, id) {
  clear(target).append(h('p', { class: 'muted' }, t('loading')));
  const p = await get(`/patients/${id}`);
  const parts = await Promise.all([
    guarded(() => all(`/appointments?patient_id=${id}`, 200), (items) => items.length
      ? h('table', { class: 'plain' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('date')), h('th', { scope: 'col' }, t('doctor')),
        h('th', { scope: 'col' }, t('service')), h('th', { scope: 'col' }, t('status')))),
      h('tbody', {}, items.slice(-20).map((a) => {
        const zone = zoneOf(a.location_id);
        const ms = Date.parse(a.start);
        return h('tr', {}, h('td', {}, `${localDate(ms, zone)} ${localTime(ms, zone)}`),
          h('td', {}, (doctorById(a.doctor_id) || {}).name || a.doctor_id), h('td', {}, (serviceById(a.service_id) || {}).name || ''),
          h('td', {}, statusLabel(a.status)));
      })))
      : h('p', { class: 'muted' }, t('none'))),
    guarded(() => all(`/patients/${id}/encounters`, 50), (items) => items.length
      ? h('ul', {}, items.map((e) => h('li', {}, `${(e.created_at || '').slice(0, 10)}: ${e.summary}`,
        (e.diagnoses || []).length ? ` (${e.diagnoses.map((d) => `${d.code} ${d.text || ''}`).join(', ')})` : '')))
      : h('p', { class: 'muted' }, t('none'))),
    guarded(() => all(`/patients/${id}/vitals`, 20), (items) => items.length
      ? h('table', { class: 'plain' }, h('thead', {}, h('tr', {}, ['taken_at', 'bp', 'pulse', 'temperature', 'spo2', 'weight']
        .map((k) => h('th', { scope: 'col' }, t(`vital_${k}`))))),
      h('tbody', {}, items.slice(-10).map((v) => h('tr', {}, h('td', {}, (v.taken_at || '').slice(0, 16).replace('T', ' ')),
        h('td', {}, v.systolic ? `${v.systolic}/${v.diastolic}` : ''), h('td', {}, v.pulse ?? ''),
        h('td', {}, v.temperature_c ?? ''), h('td', {}, v.spo2 ?? ''), h('td', {}, v.weight_kg ?? '')))))
      : h('p', { class: 'muted' }, t('none'))),
  ]);
  // Prescriptions where that plugin answers and the role may read them.
  const user = current() ? current().user : { role: '' };
  let prescriptions = null;
  if (['admin', 'doctor', 'nurse'].includes(user.role)) {
    const probe = await get(`/prescriptions?patient_id=${id}&limit=1`).then(() => true, (e) => e.status !== 404);
    if (probe) {
      prescriptions = patientPrescriptions(p, user);
      await prescriptions.load();
    }
  }
  const allergies = (p.allergies || []).map((a) => (typeof a === 'string' ? a : a.substance || a.name || JSON.stringify(a)));
  clear(target).append(h('h2', { id: 'record-title' }, patientName(p)),
    h('div', { class: 'cards' },
      section(t('details'), h('dl', {},
        h('dt', {}, t('field_birth_date')), h('dd', {}, p.birth_date || ''),
        h('dt', {}, t('field_phone')), h('dd', {}, p.phone || ''),
        h('dt', {}, t('field_email')), h('dd', {}, p.email || ''),
        h('dt', {}, t('allergies')), h('dd', { class: allergies.length ? 'error' : '' }, allergies.length ? allergies.join(', ') : t('none_known')))),
      section(t('appointments'), parts[0]),
      section(t('encounters'), parts[1]),
      section(t('vitals'), parts[2]),
      prescriptions ? section(t('prescriptions'), prescriptions.el, true) : null));
  return p;
}

export function patientsView(view, ctx) {
  const query = h('input', { type: 'search', autocomplete: 'off', value: ctx.params.get('q') || '' });
  const results = h('div', { id: 'patient-list' });
  const record = h('div', { id: 'patient-record' });
  const search = async () => {
    clear(results);
    try {
      const page = await get(`/patients?q=${encodeURIComponent(query.value.trim())}&limit=50`);
      if (!page.items.length) results.append(h('p', { class: 'muted' }, t('no_patient_found')));
      else {
        results.append(h('table', { class: 'plain' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('patient')), h('th', { scope: 'col' }, t('field_birth_date')),
            h('th', { scope: 'col' }, t('field_phone')))),
          h('tbody', {}, page.items.map((p) => h('tr', {},
            h('td', {}, h('button', { type: 'button', class: 'secondary', dataset: { patientId: p.id },
              onclick: () => recordSummary(record, p.id).catch((e) => ctx.notify(errorText(e), true)) }, patientName(p))),
            h('td', {}, p.birth_date), h('td', {}, p.phone || ''))))));
      }
    } catch (e) {
      results.append(h('p', { class: 'error', role: 'alert' }, errorText(e)));
    }
  };
  const form = h('form', { class: 'toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); search(); } },
    field('patients-query', t('find_patient_hint'), query), h('button', { type: 'submit' }, t('search')));
  const register = registerForm((p) => {
    ctx.notify(t('registered', { name: patientName(p) }));
    recordSummary(record, p.id);
  });
  view.append(h('section', { 'aria-labelledby': 'patients-title', id: 'view-patients' },
    h('h1', { id: 'patients-title' }, t('nav_patients')), form, results,
    h('details', {}, h('summary', {}, t('register_patient')), register), record));
  return { refresh: async () => { if (query.value.trim()) await search(); } };
}
