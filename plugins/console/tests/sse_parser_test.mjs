// The console's Server-Sent Events parser (web/js/stream.js), fed the way a
// network delivers: in arbitrary chunks, CRLF split across them, comments
// (the server's heartbeats), multi-line data, ids and retry. Run by node.

import assert from 'node:assert/strict';
import { SseParser } from '../web/js/stream.js';

function parse(chunks) {
  const events = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.push(c);
  return { events, parser };
}

const stream = ': heartbeat\r\n\r\nid: 41\r\nevent: appointment.booked\r\ndata: {"appointment_id":7}\r\n\r\n'
  + 'id:42\nevent:appointment.cancelled\ndata:{"a":1,\ndata: "b":2}\n\n'
  + 'retry: 2500\n\nid: 43\rdata: plain\r\r';

// Whole, and cut at every possible point: the same events.
const whole = parse([stream]).events;
assert.deepEqual(whole, [
  { id: '41', event: 'appointment.booked', data: '{"appointment_id":7}' },
  { id: '42', event: 'appointment.cancelled', data: '{"a":1,\n"b":2}' },
  { id: '43', event: 'message', data: 'plain' },
]);
for (let cut = 1; cut < stream.length; cut++) {
  assert.deepEqual(parse([stream.slice(0, cut), stream.slice(cut)]).events, whole, `cut at ${cut}`);
}
assert.deepEqual(parse(stream.split('')).events, whole, 'one character at a time');

// retry: is kept; an event without data dispatches nothing; an id persists.
const { parser, events } = parse(['retry: 2500\n\nid: 9\nevent: x\n\n']);
assert.equal(parser.retry, 2500);
assert.equal(events.length, 0);
assert.equal(parser.lastId, '9');

// An unfinished event waits for its blank line.
assert.equal(parse(['id: 1\ndata: half']).events.length, 0);
console.log('sse parser: all checks passed');
