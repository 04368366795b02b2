// The live stream, GET /api/v1/events/stream. EventSource cannot send an
// Authorization header, so the stream is read with fetch() and a small
// Server-Sent Events parser, and reopened after a drop with Last-Event-ID so
// the server resumes after the last change this terminal saw.

/// Parses text/event-stream (the WHATWG "event stream interpretation"):
/// fields event, data (joined with newlines), id and retry; comments and
/// unknown fields ignored; a blank line dispatches.
export class SseParser {
  constructor(dispatch) {
    this.dispatch = dispatch;
    this.buffer = '';
    this.skipLF = false;
    this.reset();
    this.lastId = '';
    this.retry = null;
  }

  reset() {
    this.event = '';
    this.data = [];
    this.idSeen = false;
  }

  push(chunk) {
    // A line that ended with CR at the end of the last chunk may have its LF
    // at the start of this one: it belongs to that line ending.
    if (this.skipLF && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.skipLF = false;
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const cr = this.buffer.indexOf('\r', start);
      const lf = this.buffer.indexOf('\n', start);
      if (cr < 0 && lf < 0) break;
      let end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      const line = this.buffer.slice(start, end);
      if (end === cr) {
        if (end + 1 < this.buffer.length) {
          if (this.buffer[end + 1] === '\n') end += 1;
        } else {
          this.skipLF = true;
        }
      }
      start = end + 1;
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  line(line) {
    if (line === '') {
      if (this.data.length) {
        this.dispatch({ id: this.lastId, event: this.event || 'message', data: this.data.join('\n') });
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') this.event = value;
    else if (name === 'data') this.data.push(value);
    else if (name === 'id' && !value.includes('\0')) this.lastId = value;
    else if (name === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

/// Keeps one stream open while started: reconnects with a growing pause (from
/// the server's retry: or 1 s, up to 15 s), renews the token on a 401, and
/// reports its state ('connecting', 'live', 'reconnecting', 'unavailable').
export class LiveStream {
  constructor({ url, token, refresh, onEvent, onState }) {
    Object.assign(this, { url, token, refresh, onEvent, onState });
    this.lastId = '';
    this.running = false;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.loop();
  }

  stop() {
    this.running = false;
    if (this.abort) this.abort.abort();
    this.onState('off');
  }

  async loop() {
    let pause = 1000;
    while (this.running) {
      this.abort = new AbortController();
      let parser = null;
      try {
        this.onState('connecting');
        const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${this.token()}` };
        if (this.lastId) headers['Last-Event-ID'] = this.lastId;
        const res = await fetch(this.url, { headers, cache: 'no-store', signal: this.abort.signal });
        if (res.status === 401 && (await this.refresh())) continue;
        if (!res.ok || !res.body) {
          this.onState('unavailable');
          pause = Math.max(pause, 5000);
        } else {
          this.onState('live');
          pause = 1000;
          parser = new SseParser((event) => {
            if (event.id) this.lastId = event.id;
            let data = null;
            try { data = JSON.parse(event.data); } catch { data = event.data; }
            this.onEvent({ id: event.id, type: event.event, data });
          });
          parser.lastId = this.lastId;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            parser.push(value);
          }
          // The gap while away is covered by Last-Event-ID; a view may still
          // want to reload once it is back.
          this.onState('reconnecting');
        }
      } catch {
        if (!this.running) return;
        this.onState('reconnecting');
      }
      if (parser && parser.retry) pause = parser.retry;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 15000);
    }
  }
}
