// The agent API client (mounted at /api). Errors become ApiError with the API's stable code.

// CSRF is the header every unsafe request carries (inboxapi.CSRFHeader): a page of another origin
// cannot send it, so the server refuses what lacks it.
export const CSRF = { 'X-Dakenh-Csrf': '1' };

export class ApiError extends Error {
  constructor(status, detail) {
    super((detail && detail.message) || 'HTTP ' + status);
    this.status = status;
    this.code = (detail && detail.code) || 'internal';
    this.fields = (detail && detail.fields) || {};
    this.claimedBy = (detail && detail.claimedBy) || '';
    this.reason = (detail && detail.reason) || '';
    this.problems = (detail && detail.problems) || [];
  }
}

async function parse(res) {
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  const body = type.includes('application/json') ? await res.json() : null;
  if (!res.ok) {
    if (res.status === 401) {
      location.href = '/login';
    }
    throw new ApiError(res.status, body && body.error);
  }
  return body;
}

// api calls the agent API: api('GET', '/conversations', null, {status: 'open'}).
export async function api(method, path, body, query) {
  let url = '/api' + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      for (const x of Array.isArray(v) ? v : [v]) if (x !== '' && x !== undefined && x !== null && x !== false) q.append(k, String(x));
    }
    const s = q.toString();
    if (s) url += '?' + s;
  }
  const init = { method, headers: { Accept: 'application/json', ...CSRF }, credentials: 'same-origin' };
  if (body !== undefined && body !== null) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return parse(await fetch(url, init));
}

// bootstrap loads the page's reference data and first list page in one request (GET /app/bootstrap).
export async function bootstrap() {
  // No extra headers: the request must match the page's <link rel="preload"> to reuse its answer.
  return parse(await fetch('/app/bootstrap', { credentials: 'same-origin' }));
}

// upload sends a file to POST /attachments and returns the attachment.
export async function upload(file) {
  const fd = new FormData();
  fd.append('file', file, file.name);
  const res = await fetch('/api/attachments', { method: 'POST', body: fd, headers: { Accept: 'application/json', ...CSRF }, credentials: 'same-origin' });
  return (await parse(res)).attachment;
}

// attachmentURL turns an attachment URL of the API into one the page can load.
export function attachmentURL(a) {
  const u = (a && a.url) || '';
  if (u.startsWith('/attachments/')) return '/api' + u;
  if (/^https:\/\//.test(u)) return u;
  return '';
}

const KINDS = ['conversation.opened', 'conversation.updated', 'message.created', 'message.updated', 'connection.updated', 'read.updated'];

// liveEvents subscribes to GET /events; handler gets (kind, data). On "resync" onResync runs.
export function liveEvents(handler, onResync, onState) {
  let es;
  let retry = 1000;
  const open = () => {
    es = new EventSource('/api/events', { withCredentials: true });
    es.onopen = () => {
      retry = 1000;
      onState && onState(true);
    };
    for (const k of KINDS) {
      es.addEventListener(k, (ev) => {
        try {
          handler(k, JSON.parse(ev.data));
        } catch (e) {
          console.error(e);
        }
      });
    }
    es.addEventListener('resync', () => onResync && onResync());
    es.onerror = () => {
      onState && onState(false);
      if (es.readyState === EventSource.CLOSED) {
        setTimeout(open, retry);
        retry = Math.min(retry * 2, 15000);
      }
    };
  };
  open();
  return () => es && es.close();
}

// logout ends the session and goes to the login page.
export async function logout() {
  await fetch('/auth/logout', { method: 'POST', headers: { Accept: 'application/json', ...CSRF }, credentials: 'same-origin' }).catch(() => null);
  location.href = '/login';
}
