// The JSON API with the OAuth2 tokens (POST /api/auth/token). An access token that expires is
// refreshed once (refresh tokens are single-use: one refresh at a time); when the session is
// over, the sign-in overlay asks again and the request waits for it, so the page and whatever
// the person was typing stay as they were.
import { t } from "./i18n.js";

const KEY = "csc.session";
let session = JSON.parse(sessionStorage.getItem(KEY) || "null");
let refreshing = null;
let askSignIn = null; // set by the app: () => Promise that resolves once signed in again

export class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.error_description || body.error)) || t("error.http", { status }));
    this.status = status;
    this.body = body;
  }
}

export function onSessionExpired(handler) { askSignIn = handler; }
export function currentSession() { return session; }

function keep(granted) {
  session = {
    access: granted.access_token,
    refresh: granted.refresh_token,
    expires: Date.now() + (granted.expires_in - Math.min(20, granted.expires_in / 4)) * 1000,
    staff: granted.staff || (session && session.staff),
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

async function token(params) {
  const response = await fetch("/api/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Problem(response.status, body);
  return keep(body);
}

export function signIn(username, password) {
  return token({ grant_type: "password", username, password });
}

export function signOut() {
  session = null;
  sessionStorage.removeItem(KEY);
}

/** A valid access token: refreshed when near its end; null when the session is over. */
export async function accessToken() {
  if (!session) return null;
  if (Date.now() < session.expires) return session.access;
  if (!refreshing) {
    refreshing = token({ grant_type: "refresh_token", refresh_token: session.refresh })
      .catch(() => { signOut(); return null; })
      .finally(() => { refreshing = null; });
  }
  const renewed = await refreshing;
  return renewed ? renewed.access : null;
}

/** Force the next accessToken() to refresh (after a 401 on a token we thought valid). */
export function expireAccess() { if (session) session.expires = 0; }

async function authorised() {
  let access = await accessToken();
  if (!access && askSignIn) {
    await askSignIn();
    access = await accessToken();
  }
  return access;
}

/** fetch with the bearer token; 401 refreshes once, then asks to sign in again and retries. */
export async function request(method, path, body, { raw = false, retried = false } = {}) {
  const access = await authorised();
  const headers = { Accept: "application/json" };
  if (access) headers.Authorization = `Bearer ${access}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && !retried) {
    expireAccess();
    if (!(await accessToken())) { signOut(); if (askSignIn) await askSignIn(); }
    return request(method, path, body, { raw, retried: true });
  }
  if (raw) return response;
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new Problem(response.status, data);
  return data;
}

export const get = (path) => request("GET", path);
export const post = (path, body = {}) => request("POST", path, body);
export const put = (path, body) => request("PUT", path, body);

/** Every page of a paged list ({items, next}), up to max items. */
export async function all(path, max = 200) {
  const items = [];
  let next = path;
  while (next && items.length < max) {
    const page = await get(next);
    items.push(...page.items);
    next = page.next;
  }
  return items;
}

export function query(params) {
  const clean = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return clean.length ? `?${new URLSearchParams(clean)}` : "";
}
