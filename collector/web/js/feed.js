// Live data: Server-Sent Events from api/v1/stream (event "aircraft", the
// aircraft.json snapshot about once a second); on error, polling
// api/v1/aircraft every 2 s, trying the stream again now and then.

import { applySnapshot } from './store.js';

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
    const r = await fetch('api/v1/aircraft', { cache: 'no-store' });
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

function startStream() {
  if (typeof EventSource === 'undefined') return startPolling();
  let opened = false;
  es = new EventSource('api/v1/stream');
  es.addEventListener('aircraft', (ev) => {
    try {
      applySnapshot(JSON.parse(ev.data));
    } catch (e) {
      console.warn('bad stream event', e);
      return;
    }
    if (!opened) {
      opened = true;
      stopPolling();
    }
    setMode('live');
  });
  es.onerror = () => {
    // A 404 or a dropped connection: fall back to polling, retry later.
    es?.close();
    es = null;
    if (mode === 'live' || mode === 'connecting') setMode('polling');
    startPolling();
    clearTimeout(retryTimer);
    retryTimer = setTimeout(startStream, opened ? 3000 : SSE_RETRY_MS);
  };
}

export function startFeed() {
  setMode('connecting');
  // One immediate poll so the first paint does not wait for the stream.
  pollOnce();
  startStream();
}
