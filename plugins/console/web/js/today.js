// A doctor's (or nurse's) today: the day's patients in order, each opening
// the record summary (encounters, vitals, allergies).

import { h, clear } from './dom.js';
import { t, locale } from './i18n.js';
import { all } from './api.js';
import { directory, doctorById, serviceById, zoneOf, patient, patientName } from './directory.js';
import { localTime, todayAt, longDate } from './time.js';
import { statusLabel } from './dayview.js';
import { recordSummary } from './patients.js';
import { errorText } from './dialogs.js';

export function todayView(view, ctx) {
  const doctorId = ctx.user.doctor_id || (directory.doctors[0] && directory.doctors[0].id);
  const doctor = doctorById(doctorId);
  const zone = zoneOf(doctor ? doctor.location_id : 0);
  const list = h('ol', { id: 'today-list', class: 'choices' });
  const record = h('div', { id: 'patient-record' });
  const title = h('h1', { id: 'today-title' });
  const refresh = async () => {
    const date = todayAt(zone);
    title.textContent = `${t('nav_today')}: ${doctor ? doctor.name : ''}, ${longDate(date, locale())}`;
    const items = (await all(`/appointments?doctor_id=${doctorId}&from=${date}&to=${date}`))
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const names = await Promise.all(items.map((a) => patient(a.patient_id)));
    clear(list);
    if (!items.length) list.append(h('li', { class: 'muted' }, t('nothing_this_day')));
    items.forEach((a, i) => {
      const name = patientName(names[i]) || t('patient_number', { id: a.patient_id });
      list.append(h('li', { class: `appt status-${a.status}` },
        h('span', {}, `${localTime(Date.parse(a.start), zone)} `), h('span', { class: 'badge' }, statusLabel(a.status)), ' ',
        h('button', { type: 'button', class: 'secondary', onclick: () => recordSummary(record, a.patient_id).catch((e) => ctx.notify(errorText(e), true)) }, name),
        h('span', { class: 'muted' }, ` ${(serviceById(a.service_id) || {}).name || ''}`)));
    });
  };
  view.append(h('section', { 'aria-labelledby': 'today-title', id: 'view-today' }, title,
    h('button', { type: 'button', class: 'secondary no-print', onclick: () => window.print() }, t('print')), list, record));
  return { refresh };
}
