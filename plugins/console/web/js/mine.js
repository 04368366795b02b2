// A patient's own screen: their appointments and nothing else. The server
// answers a patient's list with their own appointments only; this screen
// never asks for anyone else's.

import { h, clear } from './dom.js';
import { t } from './i18n.js';
import { all, get } from './api.js';
import { doctorById, serviceById, zoneOf, patientName } from './directory.js';
import { localTime, localDate } from './time.js';
import { statusLabel } from './dayview.js';

export function mineView(view, ctx) {
  const title = h('h1', { id: 'mine-title' }, t('nav_mine'));
  const who = h('p', { id: 'mine-who' });
  const list = h('div', { id: 'mine-list' });
  const refresh = async () => {
    const me = ctx.user.patient_id ? await get(`/patients/${ctx.user.patient_id}`).catch(() => null) : null;
    who.textContent = me ? patientName(me) : '';
    const items = await all('/appointments', 500);
    clear(list).append(items.length
      ? h('table', { class: 'plain' }, h('thead', {}, h('tr', {}, [t('date'), t('doctor'), t('service'), t('status')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, items.map((a) => {
          const zone = zoneOf(a.location_id);
          const ms = Date.parse(a.start);
          return h('tr', { dataset: { appointmentId: a.id } }, h('td', {}, `${localDate(ms, zone)} ${localTime(ms, zone)}`),
            h('td', {}, (doctorById(a.doctor_id) || {}).name || ''), h('td', {}, (serviceById(a.service_id) || {}).name || ''),
            h('td', {}, statusLabel(a.status)));
        })))
      : h('p', { class: 'muted' }, t('no_appointments')));
  };
  view.append(h('section', { 'aria-labelledby': 'mine-title', id: 'view-mine' }, title, who, list));
  return { refresh };
}
