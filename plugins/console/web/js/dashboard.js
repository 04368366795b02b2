// The administrator's and the front desk's dashboard: appointments per day
// by status, the no-show rate week by week, today's utilisation per doctor,
// and the monthly report with its CSV download.

import { h, clear, field } from './dom.js';
import { t, locale } from './i18n.js';
import { get, all, api } from './api.js';
import { directory, zoneOf } from './directory.js';
import { addDays, todayAt, localDate } from './time.js';
import { stackedBars, rateLine, fractionBars, legend, STATUS_COLOURS } from './charts.js';
import { errorText } from './dialogs.js';

const STATUSES = ['pending', 'confirmed', 'checked_in', 'completed', 'cancelled', 'no_show'];

function money(minor, currency) {
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: currency || 'RON' }).format(minor / 100);
}

export function dashboardView(view, ctx) {
  const zone = zoneOf(directory.locations[0] ? directory.locations[0].id : 0);
  const perDay = h('div', { id: 'chart-per-day' });
  const noShow = h('div', { id: 'chart-no-show' });
  const utilisation = h('div', { id: 'chart-utilisation' });
  const figures = h('p', { id: 'dashboard-figures' });
  const month = h('input', { type: 'month', value: todayAt(zone).slice(0, 7) });
  const report = h('div', { id: 'monthly-report' });
  const download = h('button', { type: 'button', class: 'secondary', id: 'report-csv' }, t('download_csv'));

  const loadReport = async () => {
    clear(report);
    try {
      const r = await get(`/reports/monthly?month=${month.value}`);
      report.append(h('table', { class: 'plain' },
        h('thead', {}, h('tr', {}, ['doctor', 'booked', 'completed', 'cancelled', 'no_show', 'revenue'].map((k) => h('th', { scope: 'col' }, t(`report_${k}`))))),
        h('tbody', {}, r.items.map((d) => h('tr', {}, h('td', {}, d.name), h('td', {}, d.booked), h('td', {}, d.completed),
          h('td', {}, d.cancelled), h('td', {}, d.no_show),
          h('td', {}, (Array.isArray(d.revenue) ? d.revenue : []).map((x) => money(x.amount_minor, x.currency)).join(', ')))))));
    } catch (e) {
      report.append(h('p', { class: 'error' }, errorText(e)));
    }
  };
  month.addEventListener('change', loadReport);
  download.addEventListener('click', async () => {
    try {
      const csv = await api('GET', `/reports/monthly?month=${month.value}`, undefined, { accept: 'text/csv' });
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      const a = h('a', { href: url, download: `clinicd-report-${month.value}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      ctx.notify(errorText(e), true);
    }
  });

  const refresh = async () => {
    const today = todayAt(zone);
    const from = addDays(today, -13);
    const to = addDays(today, 6);
    const [stats, items, history] = await Promise.all([
      get('/stats/dashboard'),
      all(`/appointments?from=${from}&to=${to}`, 5000),
      all(`/appointments?from=${addDays(today, -56)}&to=${today}`, 10000),
    ]);
    const days = [];
    for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
    const series = Object.fromEntries(STATUSES.map((s) => [s, days.map(() => 0)]));
    for (const a of items) {
      const i = days.indexOf(localDate(Date.parse(a.start), zone));
      if (i >= 0) series[a.status][i] += 1;
    }
    clear(perDay).append(stackedBars({
      labels: days.map((d) => `${d.slice(8)}.${d.slice(5, 7)}`), series, keys: STATUSES, colours: STATUS_COLOURS,
      title: t('chart_per_day'), summary: t('chart_per_day_summary', { count: items.length }),
    }), legend(STATUSES.map((s) => [t(`status_${s}`), STATUS_COLOURS[s]])));

    const weeks = [];
    for (let w = 7; w >= 0; w--) weeks.push(addDays(today, -7 * w - 6));
    const rates = weeks.map((start) => {
      const end = addDays(start, 6);
      const inWeek = history.filter((a) => { const d = localDate(Date.parse(a.start), zone); return d >= start && d <= end; });
      const closed = inWeek.filter((a) => a.status === 'completed' || a.status === 'no_show');
      return closed.length ? closed.filter((a) => a.status === 'no_show').length / closed.length : 0;
    });
    clear(noShow).append(rateLine({
      labels: weeks.map((w) => `${w.slice(8)}.${w.slice(5, 7)}`), values: rates, colour: STATUS_COLOURS.no_show,
      title: t('chart_no_show'), summary: t('chart_no_show_summary', { rate: Math.round((stats.no_show_rate_30d || 0) * 100) }),
    }));

    const doctors = stats.today_by_doctor || [];
    clear(utilisation).append(doctors.length ? fractionBars({
      names: doctors.map((d) => d.name), values: doctors.map((d) => (d.working_minutes ? d.booked_minutes / d.working_minutes : 0)),
      colour: STATUS_COLOURS.confirmed, title: t('chart_utilisation'), summary: t('chart_utilisation_summary', { rate: Math.round((stats.utilisation || 0) * 100) }),
    }) : h('p', { class: 'muted' }, t('nobody_works_today')));
    figures.textContent = t('dashboard_figures', {
      upcoming: stats.upcoming ?? 0, waitlist: stats.waitlist ?? 0,
      rate: Math.round((stats.no_show_rate_30d || 0) * 100), utilisation: Math.round((stats.utilisation || 0) * 100),
    });
    await loadReport();
  };
  view.append(h('section', { 'aria-labelledby': 'dashboard-title', id: 'view-dashboard' },
    h('h1', { id: 'dashboard-title' }, t('nav_dashboard')), figures,
    h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('h2', {}, t('chart_per_day')), perDay),
      h('div', { class: 'card' }, h('h2', {}, t('chart_no_show')), noShow),
      h('div', { class: 'card' }, h('h2', {}, t('chart_utilisation')), utilisation)),
    h('div', { class: 'card' }, h('h2', {}, t('monthly_report')),
      h('div', { class: 'toolbar' }, field('report-month', t('month'), month), download), report)));
  return { refresh };
}
