// The API as the dashboard and the portal call it: JSON both ways, and an ApiError carrying the
// HTTP status and hookd's error code for every answer that is not 2xx. The dashboard sends its
// session cookie; the portal (setBearer) an application token, and no cookie at all.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let onUnauthorized = () => {};
let bearer = null;

/**
 * token: send `Authorization: Bearer <token>` and no cookie (credentials 'omit') from now on;
 * null: back to the session cookie.
 */
export function setBearer(token) {
  bearer = token || null;
}

/** fn(): called when an answer other than the sign-in's is 401 (the session is gone). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export async function api(method, path, body) {
  const init = { method, credentials: bearer ? 'omit' : 'same-origin', headers: {} };
  if (bearer) init.headers.authorization = `Bearer ${bearer}`;
  // hookd refuses a change made with the session cookie unless it is JSON (a cross-site form
  // cannot send that), so every non-GET request says so, with or without a body.
  if (method !== 'GET') init.headers['content-type'] = 'application/json';
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(path, init);
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (res.status === 401 && path !== '/api/v1/session') {
    onUnauthorized();
    const err = (json && json.error) || {};
    throw new ApiError(401, err.code || 'unauthorized', err.message || 'not signed in');
  }
  if (!res.ok) {
    const err = (json && json.error) || {};
    throw new ApiError(res.status, err.code || 'error', err.message || `HTTP ${res.status}`);
  }
  return json;
}

/** "/api/v1/x?a=1&b=2" from a path and the params that are set. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
