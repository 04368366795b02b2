// The modal steps of the agenda: book a free slot (find or register the
// patient first), cancel with a reason, reschedule to another free slot.
// A refusal from the server (SLOT_TAKEN, RULE_REJECTED, ...) is shown in the
// dialog as the message it carries.

import { h, clear, option, field } from './dom.js';
import { t } from './i18n.js';
import { get, post } from './api.js';
import { serviceById, patientName, rememberPatient } from './directory.js';
import { localTime, localDate } from './time.js';

let counter = 0;

/// A <dialog> that is removed when it closes; focus returns where it was.
export function modal(titleText, build) {
  const opener = document.activeElement;
  const id = `dialog-title-${++counter}`;
  const dialog = h('dialog', { 'aria-labelledby': id });
  const close = () => dialog.close();
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener && opener.isConnected) opener.focus();
  });
  dialog.append(h('h2', { id }, titleText), build(close, dialog));
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

export function errorText(e) {
  if (e.code === 'SLOT_TAKEN' || e.code === 'RULE_REJECTED' || e.code === 'CONFLICT') return e.message;
  if (e.code === 'VALIDATION_FAILED' && e.details && e.details.fields) {
    return `${e.message}: ${Object.entries(e.details.fields).map(([k, v]) => `${k} ${v}`).join('; ')}`;
  }
  return e.message;
}

/// Finds a patient by name, phone, birth date or national id, or registers
/// one; calls onChosen(patient) with the choice (null while none).
export function patientPicker(onChosen) {
  const query = h('input', { type: 'search', autocomplete: 'off' });
  const results = h('ul', { class: 'choices', id: 'patient-results', 'aria-live': 'polite' });
  const status = h('p', { class: 'muted' });
  const choose = (p) => onChosen(p);
  const search = async () => {
    clear(results);
    onChosen(null);
    status.textContent = t('searching');
    try {
      const page = await get(`/patients?q=${encodeURIComponent(query.value.trim())}&limit=20`);
      status.textContent = page.items.length ? '' : t('no_patient_found');
      for (const p of page.items) {
        const rid = `patient-choice-${p.id}`;
        results.append(h('li', {}, h('input', {
          type: 'radio', name: 'patient', id: rid, value: p.id, class: 'patient-choice',
          onchange: () => { rememberPatient(p); choose(p); },
        }), ' ', h('label', { for: rid }, `${patientName(p)} · ${p.birth_date} · ${p.phone || ''}`)));
      }
    } catch (e) {
      status.textContent = errorText(e);
    }
  };
  query.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      search();
    }
  });
  const form = registerForm((p) => {
    clear(results);
    const rid = `patient-choice-${p.id}`;
    results.append(h('li', {}, h('input', { type: 'radio', name: 'patient', id: rid, value: p.id, class: 'patient-choice', checked: true }),
      ' ', h('label', { for: rid }, patientName(p))));
    rememberPatient(p);
    choose(p);
  });
  form.hidden = true;
  const toggle = h('button', { type: 'button', class: 'secondary', id: 'patient-new', 'aria-expanded': 'false' }, t('register_patient'));
  toggle.addEventListener('click', () => {
    form.hidden = !form.hidden;
    toggle.setAttribute('aria-expanded', String(!form.hidden));
  });
  return h('fieldset', {}, h('legend', {}, t('patient')),
    field('patient-query', t('find_patient_hint'), query),
    h('div', { class: 'buttons' }, h('button', { type: 'button', id: 'patient-search', onclick: search }, t('search')), toggle),
    status, results, form);
}

/// The registration fields of POST /patients.
export function registerForm(onCreated) {
  const f = {
    first_name: h('input', { required: true, autocomplete: 'off' }),
    last_name: h('input', { required: true, autocomplete: 'off' }),
    birth_date: h('input', { type: 'date', required: true }),
    sex: h('select', {}, ['female', 'male', 'other', 'unknown'].map((s) => option(s, t(`sex_${s}`)))),
    phone: h('input', { type: 'tel', autocomplete: 'off' }),
    email: h('input', { type: 'email', autocomplete: 'off' }),
    national_id: h('input', { autocomplete: 'off' }),
    language: h('select', {}, option('ro', 'Română'), option('en', 'English')),
  };
  const error = h('p', { class: 'error', role: 'alert' });
  const save = async () => {
    error.textContent = '';
    const body = { allergies: [] };
    for (const [k, el] of Object.entries(f)) if (el.value.trim() !== '') body[k] = el.value.trim();
    try {
      onCreated(await post('/patients', body));
    } catch (e) {
      error.textContent = errorText(e);
    }
  };
  // Enter in a registration field registers; it never submits the form
  // around it (the booking).
  const box = h('div', { class: 'stack', id: 'register-patient', onkeydown: (e) => {
    if (e.key === 'Enter' && e.target.tagName === 'INPUT') {
      e.preventDefault();
      save();
    }
  } },
    Object.entries(f).map(([k, el]) => field(`new-${k.replace('_', '-')}`, t(`field_${k}`), el)),
    error, h('button', { type: 'button', id: 'register-submit', onclick: save }, t('register')));
  return box;
}

export function bookDialog({ slot, doctor, serviceId, zone, onDone, notify }) {
  const start = Date.parse(slot.start);
  let chosen = null;
  modal(t('book_title', { time: localTime(start, zone), date: localDate(start, zone), doctor: doctor.name }), (close) => {
    const service = h('select', {}, (doctor.service_ids || []).map((id) => option(id, serviceById(id) ? serviceById(id).name : id, serviceId)));
    const notes = h('textarea', { rows: 2 });
    const freq = h('select', {}, option('', t('repeat_none')), ['daily', 'weekly', 'monthly'].map((f) => option(f, t(`repeat_${f}`))));
    const count = h('input', { type: 'number', min: 2, max: 52, value: 4 });
    const error = h('p', { class: 'error', role: 'alert', id: 'book-error' });
    const submit = h('button', { type: 'submit', id: 'book-submit' }, t('book'));
    const picker = patientPicker((p) => { chosen = p; });
    const book = async (e) => {
      e.preventDefault();
      error.textContent = '';
      if (!chosen) {
        error.textContent = t('choose_patient_first');
        return;
      }
      const body = { patient_id: chosen.id, doctor_id: doctor.id, service_id: Number(service.value), start: slot.start };
      if (notes.value.trim()) body.notes = notes.value.trim();
      if (freq.value) body.recurrence = { freq: freq.value, count: Number(count.value) };
      submit.disabled = true;
      try {
        const r = await post('/appointments', body);
        close();
        notify(r.series_id ? t('booked_series', { count: r.items.length, skipped: r.skipped.length }) : t('booked', { name: patientName(chosen) }));
        onDone();
      } catch (err) {
        error.textContent = errorText(err);
      } finally {
        submit.disabled = false;
      }
    };
    // novalidate: the registration fields inside are checked by the server,
    // and a hidden required field must not block the booking.
    return h('form', { onsubmit: book, id: 'book-form', novalidate: true },
      field('book-service', t('service'), service), picker,
      field('book-notes', t('notes'), notes),
      h('div', { class: 'toolbar' }, field('book-repeat', t('repeat'), freq), field('book-count', t('occurrences'), count)),
      error, h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary dialog-close', onclick: close }, t('close')), submit));
  });
}

export function cancelDialog(appointment, name, onDone) {
  modal(t('cancel_title', { name }), (close) => {
    const reason = h('textarea', { rows: 3, required: true });
    const error = h('p', { class: 'error', role: 'alert', id: 'cancel-error' });
    const send = async (e) => {
      e.preventDefault();
      if (!reason.value.trim()) {
        error.textContent = t('reason_required');
        return;
      }
      try {
        await post(`/appointments/${appointment.id}/cancel`, { reason: reason.value.trim() });
        close();
        onDone();
      } catch (err) {
        error.textContent = errorText(err);
      }
    };
    return h('form', { onsubmit: send, novalidate: true }, field('cancel-reason', t('cancel_reason'), reason), error,
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary dialog-close', onclick: close }, t('close')),
        h('button', { type: 'submit', class: 'danger', id: 'cancel-submit' }, t('action_cancel'))));
  });
}

export function rescheduleDialog(appointment, name, zone, onDone) {
  modal(t('reschedule_title', { name }), (close) => {
    const date = h('input', { type: 'date', value: localDate(Date.parse(appointment.start), zone) });
    const slots = h('div', { class: 'slots-list', id: 'reschedule-slots' });
    const error = h('p', { class: 'error', role: 'alert', id: 'reschedule-error' });
    const load = async () => {
      clear(slots);
      try {
        const r = await get(`/availability?doctor_id=${appointment.doctor_id}&service_id=${appointment.service_id}&from=${date.value}&to=${date.value}`);
        if (!r.items.length) slots.append(h('p', { class: 'muted' }, t('no_free_slots')));
        for (const s of r.items) {
          slots.append(h('button', { type: 'button', class: 'secondary', dataset: { start: s.start }, onclick: async () => {
            try {
              await post(`/appointments/${appointment.id}/reschedule`, { start: s.start });
              close();
              onDone();
            } catch (err) {
              error.textContent = errorText(err);
            }
          } }, localTime(Date.parse(s.start), zone)));
        }
      } catch (err) {
        error.textContent = errorText(err);
      }
    };
    date.addEventListener('change', load);
    load();
    return h('div', { class: 'stack' }, field('reschedule-date', t('date'), date), h('p', {}, t('choose_new_time')), slots, error,
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary dialog-close', onclick: close }, t('close'))));
  });
}
