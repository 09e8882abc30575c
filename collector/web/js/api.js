// Every API request goes through apiFetch(): it adds `Authorization: Bearer
// <token>` when the user signed in with a token, asks for one when the
// collector answers 401 with a Bearer challenge (token-only setups; with
// basic-auth users the browser's own prompt handles Basic), and retries a
// history query the collector refused as busy (503 + Retry-After).
//
// The token lives in sessionStorage only (gone when the tab closes); it is
// never put in a URL and never logged.

const KEY = 'cloudradar.token';
const BUSY_RETRIES = 3;

let login = null; // the pending sign-in, shared by every request waiting for it
let memory = ''; // the token when sessionStorage is unavailable

export function token() {
  try {
    return sessionStorage.getItem(KEY) || '';
  } catch {
    return '';
  }
}

function setToken(t) {
  try {
    if (t) sessionStorage.setItem(KEY, t);
    else sessionStorage.removeItem(KEY);
  } catch {
    /* storage disabled: the token lasts until the page reloads */
  }
  memory = t;
}
const current = () => token() || memory;

export const signedIn = () => Boolean(current());

export function signOut() {
  setToken('');
  location.reload();
}

/** Shows the sign-in form; resolves once a token is entered. */
function askForToken(message) {
  login ??= new Promise((resolve) => {
    const box = document.getElementById('login');
    const form = document.getElementById('login-form');
    const input = document.getElementById('login-token');
    const msg = document.getElementById('login-msg');
    msg.textContent = message;
    box.hidden = false;
    input.value = '';
    input.focus();
    form.onsubmit = (ev) => {
      ev.preventDefault();
      const t = input.value.trim();
      if (!t) return;
      setToken(t);
      input.value = '';
      box.hidden = true;
      form.onsubmit = null;
      login = null;
      resolve();
    };
  });
  return login;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** fetch() for the collector's API: credentials, sign-in and busy retries. */
export async function apiFetch(url, opts = {}) {
  for (let busy = 0; ; ) {
    const t = current();
    const headers = new Headers(opts.headers || {});
    if (t) headers.set('Authorization', `Bearer ${t}`);
    const r = await fetch(url, { ...opts, headers });
    if (r.status === 401 && /^\s*bearer/i.test(r.headers.get('www-authenticate') || '')) {
      if (t) setToken('');
      await askForToken(t ? 'That token was refused. Enter a valid API token.' : 'This collector needs an API token.');
      continue;
    }
    if (r.status === 503 && r.headers.has('retry-after') && busy < BUSY_RETRIES && !opts.signal?.aborted) {
      busy++;
      const s = Number(r.headers.get('retry-after'));
      await sleep(1000 * (Number.isFinite(s) && s > 0 ? Math.min(s, 10) : 1) * busy);
      continue;
    }
    return r;
  }
}
