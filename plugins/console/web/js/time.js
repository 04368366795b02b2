// Time at a location: every instant the API gives is RFC 3339 with an offset,
// and the agenda shows it on the wall clock of the location's IANA zone
// (Intl does the zone arithmetic, so a DST day has its 23 or 25 hours).

const partsCache = new Map();

function formatter(zone) {
  if (!partsCache.has(zone)) {
    partsCache.set(zone, new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', weekday: 'short',
    }));
  }
  return partsCache.get(zone);
}

export function zonedParts(ms, zone) {
  const out = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

/// YYYY-MM-DD of the instant at the zone.
export function localDate(ms, zone) {
  const p = zonedParts(ms, zone);
  return `${p.year}-${p.month}-${p.day}`;
}

/// HH:MM of the instant at the zone.
export function localTime(ms, zone) {
  const p = zonedParts(ms, zone);
  return `${p.hour}:${p.minute}`;
}

/// "GMT+2" / "GMT+3": said beside a time that a DST change makes ambiguous.
export function offsetName(ms, zone) {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeZoneName: 'shortOffset' })
    .formatToParts(new Date(ms));
  const name = parts.find((p) => p.type === 'timeZoneName');
  return name ? name.value : '';
}

export function todayAt(zone) {
  return localDate(Date.now(), zone);
}

/// Calendar arithmetic on a YYYY-MM-DD date, independent of any zone.
export function addDays(date, days) {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return t.toISOString().slice(0, 10);
}

/// ISO weekday 1 (Monday) .. 7 (Sunday) of a date.
export function isoWeekday(date) {
  const [y, m, d] = date.split('-').map(Number);
  const w = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return w === 0 ? 7 : w;
}

export function longDate(date, locale) {
  const [y, m, d] = date.split('-').map(Number);
  return new Intl.DateTimeFormat(locale, {
    timeZone: 'UTC', weekday: 'long', year: 'numeric', month: 'long', day: 'numeric',
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

export function shortDate(date, locale) {
  const [y, m, d] = date.split('-').map(Number);
  return new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

/// The agenda's row labels: each instant's wall-clock time at the zone, and
/// where a DST change makes one wall-clock time happen twice (the autumn
/// hour), both rows carry their offset ("03:30 (GMT+3)", "03:30 (GMT+2)").
export function rowLabels(instants, zone) {
  const count = new Map();
  for (const ms of instants) count.set(localTime(ms, zone), (count.get(localTime(ms, zone)) || 0) + 1);
  return new Map(instants.map((ms) => {
    const text = localTime(ms, zone);
    return [ms, count.get(text) > 1 ? `${text} (${offsetName(ms, zone)})` : text];
  }));
}
