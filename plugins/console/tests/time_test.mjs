// The console's wall-clock arithmetic (web/js/time.js) on the days that
// matter: Bucharest's spring and autumn DST changes and a New Year's Eve in
// UTC that is already New Year's Day at the location. Run by node (full ICU).

import assert from 'node:assert/strict';
import { localDate, localTime, rowLabels, addDays, isoWeekday } from '../web/js/time.js';

const zone = 'Europe/Bucharest';
const at = (iso) => Date.parse(iso);

// Spring forward, 2027-03-28: 03:00 local does not exist; 02:30+02:00 is
// followed half an hour later by 04:00+03:00.
assert.equal(localTime(at('2027-03-28T02:30:00+02:00'), zone), '02:30');
assert.equal(localTime(at('2027-03-28T01:00:00Z'), zone), '04:00');
const spring = [at('2027-03-28T02:00:00+02:00'), at('2027-03-28T02:30:00+02:00'), at('2027-03-28T04:00:00+03:00')];
assert.deepEqual([...rowLabels(spring, zone).values()], ['02:00', '02:30', '04:00']);

// Fall back, 2027-10-31: 03:30 happens twice, first at +03:00, then at +02:00.
const autumn = [at('2027-10-31T03:00:00+03:00'), at('2027-10-31T03:30:00+03:00'), at('2027-10-31T03:30:00+02:00'),
  at('2027-10-31T04:00:00+02:00')];
const labels = [...rowLabels(autumn, zone).values()];
assert.equal(labels[0], '03:00', 'a time that happens once in the list needs no offset');
assert.equal(labels[1], '03:30 (GMT+3)');
assert.equal(labels[2], '03:30 (GMT+2)');
assert.equal(labels[3], '04:00');
assert.equal(new Set(labels).size, 4, 'every row has its own label');

// The local date, not the UTC one.
assert.equal(localDate(at('2026-12-31T22:30:00Z'), zone), '2027-01-01');
assert.equal(localDate(at('2026-12-31T22:30:00Z'), 'UTC'), '2026-12-31');

// Calendar arithmetic that no DST day disturbs.
assert.equal(addDays('2027-03-27', 1), '2027-03-28');
assert.equal(addDays('2027-03-28', 1), '2027-03-29');
assert.equal(addDays('2028-02-28', 1), '2028-02-29');
assert.equal(isoWeekday('2027-10-31'), 7);
assert.equal(isoWeekday('2026-12-07'), 1);
console.log('console time: all checks passed');
