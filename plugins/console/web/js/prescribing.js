// The prescriptions plugin's screens, with its field names
// (plugins/prescriptions/PrescriptionsSchemas.cpp): a patient's
// prescriptions ({id, status, issued_at, ends_at, notes, items: [{drug,
// dose, route, frequency, duration_days, quantity, refills}], ...}), a
// doctor writing one (an item names a catalogue entry by drug_id from GET
// /drugs?q=, or free text in drug with its route), cancelling with a reason,
// and the clinic-wide list for administrators, doctors and nurses. A
// before_prescribe refusal (RULE_REJECTED) shows its message; a warning
// (RULE_WARNING) shows what it warns of and asks for the reason to override.

import { h, clear, field } from './dom.js';
import { t } from './i18n.js';
import { get, all, post } from './api.js';
import { doctorById, patient, patientName } from './directory.js';
import { modal, errorText } from './dialogs.js';

const itemText = (x) => [x.drug, x.dose, x.frequency, x.duration_days ? t('for_days', { days: x.duration_days }) : ''].filter(Boolean).join(' · ');

export function prescriptionTable(items, names, onCancel) {
  return h('table', { class: 'plain prescriptions' },
    h('thead', {}, h('tr', {}, [names ? t('patient') : null, t('date'), t('doctor'), t('items'), t('status'), ''].filter((x) => x !== null)
      .map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, items.map((p, i) => h('tr', { dataset: { prescriptionId: p.id, status: p.status } },
      names ? h('td', {}, patientName(names[i]) || t('patient_number', { id: p.patient_id })) : null,
      h('td', {}, (p.issued_at || '').slice(0, 10)), h('td', {}, (doctorById(p.doctor_id) || {}).name || ''),
      h('td', {}, h('ul', { class: 'choices' }, p.items.map((x) => h('li', {}, itemText(x))))),
      h('td', {}, t(`rx_${p.status}`)),
      h('td', {}, onCancel && p.status === 'active' ? h('button', { type: 'button', class: 'danger', 'aria-label': `${t('cancel_prescription')}: ${p.items.map((x) => x.drug).join(', ')}`,
        onclick: () => onCancel(p) }, t('cancel_prescription')) : '',
      onCancel ? (p.renewal_requests || []).filter((r) => r.status === 'pending').map((r) => renewalButtons(p, r, onCancel.reload)) : null)))));
}

/// A patient's pending renewal request: the doctor approves it (a new,
/// linked prescription) or declines it with a reason.
function renewalButtons(p, r, reload) {
  const error = h('span', { class: 'error', role: 'alert' });
  const decide = (how) => async () => {
    let body = {};
    if (how === 'decline') {
      const reason = window.prompt(t('decline_reason'));
      if (!reason) return;
      body = { reason };
    }
    try {
      await post(`/renewal-requests/${r.id}/${how}`, body);
      reload();
    } catch (err) {
      error.textContent = errorText(err);
    }
  };
  const what = p.items.map((x) => x.drug).join(', ');
  return h('div', { class: 'buttons renewal', dataset: { renewalId: r.id } }, h('span', {}, t('renewal_asked', { note: r.note || '' })),
    h('button', { type: 'button', dataset: { action: 'approve-renewal' }, 'aria-label': `${t('approve_renewal')}: ${what}`, onclick: decide('approve') }, t('approve_renewal')),
    h('button', { type: 'button', class: 'secondary', 'aria-label': `${t('decline_renewal')}: ${what}`, onclick: decide('decline') }, t('decline_renewal')), error);
}

function cancelPrescription(p, onDone) {
  modal(t('cancel_prescription'), (close) => {
    const reason = h('textarea', { rows: 2 });
    const error = h('p', { class: 'error', role: 'alert', id: 'rx-cancel-error' });
    const send = async (e) => {
      e.preventDefault();
      try {
        await post(`/prescriptions/${p.id}/cancel`, { reason: reason.value.trim() });
        close();
        onDone();
      } catch (err) {
        error.textContent = errorText(err);
      }
    };
    return h('form', { onsubmit: send, novalidate: true }, field('rx-cancel-reason', t('cancel_reason'), reason), error,
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary dialog-close', onclick: close }, t('close')),
        h('button', { type: 'submit', class: 'danger', id: 'rx-cancel-submit' }, t('cancel_prescription'))));
  });
}

/// The write dialog: one medicine per prescription, from the catalogue or as free text.
export function prescribeDialog(patientRecord, onDone) {
  modal(t('write_prescription_for', { name: patientName(patientRecord) }), (close) => {
    const query = h('input', { type: 'search', autocomplete: 'off' });
    const found = h('select', { size: 4 });
    const free = h('input', { autocomplete: 'off' });
    const f = {
      dose: h('input', { autocomplete: 'off', placeholder: '500 mg' }),
      route: h('input', { autocomplete: 'off', placeholder: 'oral' }),
      frequency: h('input', { autocomplete: 'off' }),
      duration_days: h('input', { type: 'number', min: 1, max: 365, value: 7 }),
      quantity: h('input', { type: 'number', min: 1, max: 10000, value: 1 }),
      refills: h('input', { type: 'number', min: 0, max: 12, value: 0 }),
    };
    const notes = h('textarea', { rows: 2 });
    const override = h('textarea', { rows: 2 });
    const overrideField = field('rx-override', t('override_reason'), override);
    overrideField.hidden = true;
    const error = h('p', { class: 'error', role: 'alert', id: 'rx-error' });
    const search = async () => {
      clear(found);
      try {
        const r = await get(`/drugs?q=${encodeURIComponent(query.value.trim())}&limit=20`);
        for (const d of r.items) found.append(h('option', { value: d.id }, `${d.name} ${d.strength} (${d.form}, ${d.route})`));
        if (r.items.length) found.selectedIndex = 0;
        else error.textContent = t('no_drug_found');
      } catch (err) {
        error.textContent = errorText(err);
      }
    };
    query.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        search();
      }
    });
    const send = async (e) => {
      e.preventDefault();
      error.textContent = '';
      const item = {};
      if (free.value.trim()) item.drug = free.value.trim();
      else if (found.value) item.drug_id = Number(found.value);
      for (const [k, el] of Object.entries(f)) {
        if (el.value.trim() === '') continue;
        item[k] = el.type === 'number' ? Number(el.value) : el.value.trim();
      }
      const body = { patient_id: patientRecord.id, items: [item] };
      if (notes.value.trim()) body.notes = notes.value.trim();
      if (!overrideField.hidden && override.value.trim()) body.override_reason = override.value.trim();
      try {
        await post('/prescriptions', body);
        close();
        onDone();
      } catch (err) {
        error.textContent = errorText(err);
        // The message names every warning; the same request with a reason overrides them.
        if (err.code === 'RULE_WARNING') {
          overrideField.hidden = false;
          override.focus();
        }
      }
    };
    return h('form', { onsubmit: send, novalidate: true, id: 'rx-form' },
      h('fieldset', {}, h('legend', {}, t('medicine')), field('rx-query', t('find_drug'), query),
        h('button', { type: 'button', class: 'secondary', id: 'rx-search', onclick: search }, t('search')),
        field('rx-drug', t('catalogue_entry'), found), field('rx-free', t('free_text_drug'), free)),
      Object.entries(f).map(([k, el]) => field(`rx-${k.replace('_', '-')}`, t(`rx_field_${k}`), el)),
      field('rx-notes', t('notes'), notes), overrideField, error,
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary dialog-close', onclick: close }, t('close')),
        h('button', { type: 'submit', id: 'rx-submit' }, t('prescribe'))));
  });
}

/// A patient's prescriptions in the record summary; a doctor may write one.
export function patientPrescriptions(patientRecord, user) {
  const box = h('div', { id: 'record-prescriptions' });
  const load = async () => {
    clear(box);
    try {
      const items = await all(`/prescriptions?patient_id=${patientRecord.id}`, 100);
      const cancel = (p) => cancelPrescription(p, load);
      cancel.reload = load;
      box.append(items.length ? prescriptionTable(items, null, user.role === 'doctor' ? cancel : null)
        : h('p', { class: 'muted' }, t('none')));
    } catch (e) {
      box.append(h('p', { class: 'muted' }, e.status === 403 ? t('not_allowed_here') : errorText(e)));
    }
    if (user.role === 'doctor') {
      box.append(h('button', { type: 'button', id: 'rx-new', onclick: () => prescribeDialog(patientRecord, load) }, t('write_prescription')));
    }
  };
  return { el: box, load };
}

/// The clinic's recent prescriptions (administrators, doctors, nurses).
export function prescriptionsCard(ctx) {
  const body = h('div', {});
  const load = async () => {
    const r = await get('/prescriptions?limit=50');
    const names = await Promise.all(r.items.map((p) => patient(p.patient_id)));
    clear(body).append(r.items.length ? prescriptionTable(r.items, names, null) : h('p', { class: 'muted' }, t('none')));
  };
  return { el: h('section', { class: 'card', 'aria-labelledby': 'prescriptions-title', id: 'prescriptions' },
    h('h2', { id: 'prescriptions-title' }, t('prescriptions')), body), load };
}
