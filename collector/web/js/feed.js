// Live data: Server-Sent Events from api/v1/stream (event "aircraft", the
// aircraft.json snapshot about once a second); on error, polling
// api/v1/aircraft every 2 s, trying the stream again now and then.
//
// EventSource cannot send an Authorization header, so when the user signed
// in with an API token the stream is read with fetch() and a ReadableStream
// and the SSE lines are parsed here; otherwise EventSource is used.

import { applySnapshot } from './store.js';
import { apiFetch, signedIn } from './api.js';

const POLL_MS = 2000;
const SSE_RETRY_MS = 60000;

let mode = 'connecting';
let es = null;
let pollTimer = null;
let retryTimer = null;
let failures = 0;

function setMode(m) {
  mode = m;
  const el = document.getElementById('feed-status');
  if (!el) return;
  el.dataset.mode = m;
  el.textContent = { live: 'live', polling: 'polling', offline: 'offline', connecting: 'connecting' }[m] ?? m;
  el.title = {
    live: 'Live: server-sent events',
    polling: 'Polling every 2 s (stream unavailable)',
    offline: 'Cannot reach the collector',
    connecting: 'Connecting…',
  }[m];
}

export const feedMode = () => mode;

async function pollOnce() {
  try {
    const r = await apiFetch('api/v1/aircraft', { cache: 'no-store' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    applySnapshot(await r.json());
    failures = 0;
    if (mode !== 'live') setMode('polling');
  } catch {
    failures++;
    if (mode !== 'live') setMode('offline');
  }
}

function startPolling() {
  if (pollTimer) return;
  const loop = async () => {
    await pollOnce();
    if (pollTimer === null) return;
    pollTimer = setTimeout(loop, failures ? Math.min(10000, POLL_MS * (1 + failures)) : POLL_MS);
  };
  pollTimer = setTimeout(loop, 0);
}

function stopPolling() {
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = null;
}

let opened = false;

/** One "aircraft" event's data. */
function onAircraft(data) {
  try {
    applySnapshot(JSON.parse(data));
  } catch (e) {
    console.warn('bad stream event', e);
    return;
  }
  if (!opened) {
    opened = true;
    stopPolling();
  }
  setMode('live');
}

/** A 404, a refused or a dropped stream: poll, try the stream again later. */
function streamFailed() {
  if (mode === 'live' || mode === 'connecting') setMode('polling');
  startPolling();
  clearTimeout(retryTimer);
  retryTimer = setTimeout(startStream, opened ? 3000 : SSE_RETRY_MS);
  opened = false;
}

function startEventSource() {
  es = new EventSource('api/v1/stream');
  es.addEventListener('aircraft', (ev) => onAircraft(ev.data));
  es.onerror = () => {
    es?.close();
    es = null;
    streamFailed();
  };
}

/**
 * Reads an SSE response body: events are separated by a blank line, each
 * line `field: value`; `data` lines join with "\n"; lines starting with ":"
 * are comments (keep-alives).
 */
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    // Normalise line ends, keeping a trailing "\r" for the next chunk.
    buf = buf.replace(/\r\n|\r(?!$)/g, '\n');
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        let v = i < 0 ? '' : line.slice(i + 1);
        if (v.startsWith(' ')) v = v.slice(1);
        if (field === 'event') event = v;
        else if (field === 'data') data.push(v);
      }
      if (data.length) onEvent(event, data.join('\n'));
    }
  }
}

async function startFetchStream() {
  try {
    const r = await apiFetch('api/v1/stream', { cache: 'no-store', headers: { Accept: 'text/event-stream' } });
    if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
    await readEvents(r.body, (event, data) => {
      if (event === 'aircraft') onAircraft(data);
    });
  } catch {
    /* handled below */
  }
  streamFailed();
}

function startStream() {
  if (signedIn() && typeof ReadableStream !== 'undefined' && typeof TextDecoderStream !== 'undefined') return startFetchStream();
  if (typeof EventSource === 'undefined') return startPolling();
  startEventSource();
}

export async function startFeed() {
  setMode('connecting');
  // One poll first, so the first paint does not wait for the stream; when
  // the collector asks for a token, this waits for the sign-in, and the
  // stream then knows which way to connect.
  await pollOnce();
  startStream();
}
