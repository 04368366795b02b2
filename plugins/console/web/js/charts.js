// Charts drawn as inline SVG by the page itself: no chart service, no
// library, nothing fetched. Each chart has a title and a text alternative
// (role="img" with aria-label), and a legend in the page.

import { h } from './dom.js';

const S = (tag, attrs, ...children) => h(`svg:${tag}`, attrs, ...children);

export const STATUS_COLOURS = {
  pending: '#7a4b00', confirmed: '#0b5cad', checked_in: '#1d6b2f', completed: '#3d4450', cancelled: '#8a1c1c', no_show: '#6b2d7a',
};

/// Stacked columns: one per label, one layer per series key.
export function stackedBars({ labels, series, keys, colours, title, summary }) {
  const width = 640, height = 240, left = 36, bottom = 40, top = 10;
  const totals = labels.map((_, i) => keys.reduce((s, k) => s + (series[k][i] || 0), 0));
  const max = Math.max(1, ...totals);
  const band = (width - left) / Math.max(1, labels.length);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const bars = [];
  labels.forEach((label, i) => {
    let acc = 0;
    for (const k of keys) {
      const v = series[k][i] || 0;
      if (v) bars.push(S('rect', { x: left + i * band + 3, y: y(acc + v), width: Math.max(1, band - 6), height: y(acc) - y(acc + v), fill: colours[k] },
        S('title', {}, `${label}: ${k} ${v}`)));
      acc += v;
    }
    // Labels never overlap: with many columns only every second or third is written.
    const every = Math.ceil(labels.length / 10);
    if (i % every === 0) bars.push(S('text', { x: left + i * band + band / 2, y: height - bottom + 14, 'text-anchor': 'middle' }, label));
  });
  const ticks = [0, Math.ceil(max / 2), max].map((v) => S('g', {},
    S('line', { x1: left, x2: width, y1: y(v), y2: y(v), stroke: '#c9ced6' }),
    S('text', { x: left - 4, y: y(v) + 4, 'text-anchor': 'end' }, String(v))));
  return S('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}. ${summary}` }, ticks, bars);
}

/// A line of rates (0..1) over labels.
export function rateLine({ labels, values, colour, title, summary }) {
  const width = 640, height = 200, left = 40, bottom = 36, top = 10;
  const max = Math.max(0.05, ...values);
  const x = (i) => left + (width - left - 10) * (labels.length > 1 ? i / (labels.length - 1) : 0.5);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const points = values.map((v, i) => `${x(i)},${y(v)}`).join(' ');
  return S('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}. ${summary}` },
    [0, max / 2, max].map((v) => S('g', {}, S('line', { x1: left, x2: width, y1: y(v), y2: y(v), stroke: '#c9ced6' }),
      S('text', { x: left - 4, y: y(v) + 4, 'text-anchor': 'end' }, `${Math.round(v * 100)}%`))),
    S('polyline', { points, fill: 'none', stroke: colour, 'stroke-width': 2.5 }),
    values.map((v, i) => S('circle', { cx: x(i), cy: y(v), r: 3.5, fill: colour }, S('title', {}, `${labels[i]}: ${Math.round(v * 100)}%`))),
    labels.map((l, i) => S('text', { x: x(i), y: height - bottom + 16, 'text-anchor': 'middle' }, l)));
}

/// Horizontal bars of a fraction (0..1) per name.
export function fractionBars({ names, values, colour, title, summary }) {
  const row = 26, left = 190, width = 640;
  const height = Math.max(row, names.length * row) + 10;
  return S('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}. ${summary}` },
    names.map((n, i) => S('g', {},
      S('text', { x: left - 6, y: i * row + 18, 'text-anchor': 'end' }, n),
      S('rect', { x: left, y: i * row + 5, width: width - left - 60, height: row - 10, fill: '#e4e9f0' }),
      S('rect', { x: left, y: i * row + 5, width: Math.max(0, (width - left - 60) * Math.min(1, values[i])), height: row - 10, fill: colour }),
      S('text', { x: width - 54, y: i * row + 18 }, `${Math.round(values[i] * 100)}%`))));
}

export function legend(entries) {
  return h('ul', { class: 'legend' }, entries.map(([label, colour]) => h('li', {},
    S('svg', { width: 12, height: 12, 'aria-hidden': 'true', class: 'swatch' }, S('rect', { width: 12, height: 12, fill: colour })), label)));
}
