// The console's shell: sign-in, navigation by role, the live stream (screen pops, inbox,
// outages, presence) and the hash router that shows one view at a time.
import * as api from "./api.js";
import { loadLanguage, preferredLanguage, t, translate, label, dateTime } from "./i18n.js";
import { h, toast } from "./ui.js";
import { openStream } from "./stream.js";
import { showPop, showNewestUnreadPop, hidePop, isPop } from "./pop.js";
import { renderWork, renderSearch, renderCustomer, renderDepartment } from "./views/work.js";
import { renderOrder } from "./views/order.js";
import { renderBoard, renderOutages, renderEvaluation, renderPlan } from "./views/leader.js";
import { renderOrg, renderLeave, renderAttendance, renderRota } from "./views/hall.js";
import { renderInbox } from "./views/inbox.js";
import { renderLockouts } from "./views/lockouts.js";
import { renderVisits, renderVisitPlan, renderVisit, renderVisitCustomer, renderVisitEvaluation } from "./views/visits.js";
import { renderAssets, renderRooms, renderRegister } from "./views/assets.js";
import { isHotline, isLeader } from "./roles.js";

const OFFICES = ["hall", "hr", "bureau"]; // departments that take no dispatched orders
const STAFF_OFFICE = ["hall", "hr"]; // where those who keep the staff records work
const VIEWS = {
  work: { key: "nav.work", show: isHotline, render: renderWork },
  search: { key: "nav.search", show: isHotline, render: renderSearch },
  department: { key: "nav.department", show: (s) => !isHotline(s) && !!s.department && !OFFICES.includes(s.department), render: renderDepartment },
  board: { key: "nav.board", show: isLeader, render: renderBoard },
  outages: { key: "nav.outages", show: isHotline, render: renderOutages },
  evaluation: { key: "nav.evaluation", show: isHotline, render: renderEvaluation },
  plan: { key: "nav.plan", show: isLeader, render: renderPlan },
  org: { key: "nav.org", show: () => true, render: renderOrg },
  leave: { key: "nav.leave", show: () => true, render: renderLeave },
  attendance: { key: "nav.attendance", show: () => true, render: renderAttendance },
  rota: { key: "nav.rota", show: (s) => !isHotline(s), render: renderRota },
  // the staff office lifts login lockouts (staffing decides who may: HR, the hall director)
  lockouts: { key: "nav.lockouts", show: (s) => STAFF_OFFICE.includes(s.department), render: renderLockouts },
  // customer visits (issue 14): department staff; the visits service says who is a salesperson
  visits: { key: "nav.visits", show: (s) => !s.role && !!s.department, render: renderVisits },
  "visit-plan": { key: "nav.visit_plan", show: () => false, render: renderVisitPlan },
  visit: { key: "nav.visit", show: () => false, render: renderVisit },
  "visit-customer": { key: "nav.visit_customer", show: () => false, render: renderVisitCustomer },
  "visit-evaluation": { key: "nav.visit_evaluation", show: () => false, render: renderVisitEvaluation },
  assets: { key: "nav.assets", show: (s) => !isHotline(s), render: renderAssets },
  rooms: { key: "nav.rooms", show: () => true, render: renderRooms },
  register: { key: "nav.register", show: (s) => !isHotline(s), render: renderRegister },
  inbox: { key: "nav.inbox", show: () => false, render: renderInbox },
  order: { key: "nav.order", show: () => false, render: renderOrder },
  customer: { key: "nav.customer", show: () => false, render: renderCustomer },
};

export const state = { staff: null, unread: 0, stopStream: null, outages: new Map(), rendering: 0 };
const listeners = new Set();
/** Views subscribe to live events while they are shown (the router clears them). */
export function onLive(handler) { listeners.add(handler); }

function home(staff) {
  if (isHotline(staff)) return "work";
  if (staff.department && !OFFICES.includes(staff.department)) return "department";
  return "leave";
}

async function route() {
  if (!state.staff) return;
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const view = VIEWS[name];
  if (!view) { location.hash = `#/${home(state.staff)}`; return; }
  listeners.clear();
  document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", a.dataset.view === name));
  const main = document.getElementById("main");
  const ticket = ++state.rendering;
  const holder = h("div", { class: "view", dataset: { view: name } });
  try {
    await view.render(holder, rest.map(decodeURIComponent), state.staff);
  } catch (exc) {
    holder.replaceChildren(h("div", { class: "card error-card", role: "alert" }, exc.message || String(exc)));
  }
  if (ticket === state.rendering) main.replaceChildren(holder);
}

export function refresh() { route(); }

function buildNav(staff) {
  document.getElementById("whoami").textContent = t("app.whoami", { name: staff.name, role: isHotline(staff) ? label("role", staff.role) : label("department", staff.department) });
  const nav = document.getElementById("nav");
  nav.replaceChildren(...Object.entries(VIEWS).filter(([, v]) => v.show(staff))
    .map(([name, v]) => h("a", { href: `#/${name}`, dataset: { view: name } }, t(v.key))));
}

// --- sign-in: the first one, and again in an overlay when the session ends ------------------

let waiting = [];
function signInOverlay({ again = false } = {}) {
  const overlay = document.getElementById("signin");
  if (!overlay.hidden) return new Promise((resolve) => waiting.push(resolve));
  const user = h("input", { name: "username", autocomplete: "username", required: true, value: again && state.staff ? state.staff.username : "" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("div", { class: "error", role: "alert" });
  const button = h("button", { class: "primary", type: "submit", id: "signin-submit" }, t("auth.sign_in"));
  const formEl = h("form", { class: "form stack", id: "signin-form" },
    h("label", {}, t("auth.username"), user), h("label", {}, t("auth.password"), password), button, error);
  overlay.replaceChildren(h("div", { class: "signin-box" },
    h("h1", {}, t("app.title")),
    again ? h("div", { class: "hint" }, t("auth.expired")) : h("div", { class: "hint" }, t("auth.welcome")),
    formEl));
  overlay.hidden = false;
  (again ? password : user).focus();
  return new Promise((resolve) => {
    waiting.push(resolve);
    formEl.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      error.textContent = "";
      try {
        const session = await api.signIn(user.value.trim(), password.value);
        overlay.hidden = true;
        overlay.replaceChildren();
        const changed = !state.staff || state.staff.id !== session.staff.id;
        const resolved = waiting; waiting = [];
        if (changed) await start(session.staff);
        resolved.forEach((r) => r());
      } catch (exc) {
        error.textContent = exc.status === 400 ? t("auth.wrong") : exc.message;
      } finally {
        button.disabled = false;
      }
    });
  });
}

api.onSessionExpired(() => signInOverlay({ again: true }));

// --- the live parts: stream, inbox badge, presence, outage banner ---------------------------

export async function refreshUnread() {
  try {
    const page = await api.get("/api/inbox?unread=true&limit=1");
    setUnread(page.unread_count);
  } catch { /* the badge waits for the next notice */ }
}

function setUnread(n) {
  state.unread = n;
  const badge = document.getElementById("inbox-badge");
  badge.textContent = n > 99 ? "99+" : String(n);
  badge.hidden = !n;
}

function onEvent(name, data) {
  if (name === "notice") {
    if (!data.read_at) setUnread(state.unread + 1);
    if (isPop(data)) showPop(data);
    else toast(t(`notice.${data.kind}`, noticeParams(data)));
  } else if (name === "outage") {
    if (data.state === "lifted") state.outages.delete(data.outage_id);
    else state.outages.set(data.outage_id, data);
    drawBanner();
  } else if (name === "presence") {
    drawPresence(data);
  }
  listeners.forEach((handler) => handler(name, data));
}

// what an alert of the assets and visits services says beyond its raw params, by notice key
const ALERT_PARAMS = {
  "notice.custody.handover_requested": (p) => ({ reason: label("handover_reason", p.reason) }),
  "notice.window.unchecked": (p) => ({ missing: (p.missing || []).map((m) => label("asset_check", m)).join(" / ") }),
  "notice.repair.status_changed": (p) => ({ status: label("repair_status", p.status) }),
  "notice.room.damage_charged": (p) => ({ charge: p.charge_cents == null ? "—" : (p.charge_cents / 100).toFixed(2) }),
  "notice.visit_plan.reviewed": (p) => ({ comment: p.comment ? ` · ${p.comment}` : "" }),
  "notice.visit.flagged": (p) => ({ flag: label("visits.flag", p.flag) }),
  "notice.follow_up.reminder": (p) => ({ phase: label("follow_up_phase", p.phase) }),
  "notice.login.locked_out": (p) => ({ locked_at: dateTime(p.locked_at), lifted: p.lifted_at ? t("lockouts.notice_lifted") : "" }),
};

export function noticeParams(notice) {
  const p = notice.params || {};
  const alert = ALERT_PARAMS[`notice.${notice.kind}`];
  return {
    ...p, category: label("category", p.category), leave_type: label("leave_type", p.leave_type),
    decision: label("decision", p.decision), step: label("step", p.step), clock: label("clock", p.clock),
    department: label("department", p.department), by: p.by || t("actor.system"),
    ...(alert ? alert(p) : {}),
  };
}

function drawBanner() {
  const banner = document.getElementById("outage-banner");
  const active = [...state.outages.values()];
  banner.hidden = !active.length;
  banner.replaceChildren(...active.map((o) => h("div", { class: "outage-line" },
    h("b", {}, t("outage.banner")), `${o.area}${o.description ? "：" + o.description : ""}`)));
}

async function loadOutages() {
  if (!isHotline(state.staff)) return;
  try {
    const list = await api.get("/api/outages");
    state.outages.clear();
    list.items.forEach((o) => state.outages.set(o.id, { ...o, outage_id: o.id }));
    drawBanner();
  } catch { /* no banner */ }
}

const REASONS = ["break", "meal", "training", "meeting", "other"];
function drawPresence(p) {
  const box = document.getElementById("presence");
  if (!isHotline(state.staff) || !p) { box.replaceChildren(); return; }
  const ready = p.state === "ready";
  const reason = h("select", { id: "away-reason", "aria-label": t("presence.reason") },
    REASONS.map((r) => h("option", { value: r }, t(`presence.reason.${r}`))));
  const toggle = h("button", { id: "presence-toggle", class: "link", onclick: async () => {
    try {
      const body = ready ? { state: "away", reason: reason.value } : { state: "ready", reason: null };
      drawPresence(await api.put("/api/presence", body));
    } catch (exc) { toast(exc.message, "error"); }
  } }, ready ? t("presence.go_away") : t("presence.go_ready"));
  box.replaceChildren(
    h("span", { class: `dot ${p.state}` }),
    h("span", { id: "presence-state" }, ready ? t("presence.ready") : `${t("presence.away")}${p.reason ? "·" + t(`presence.reason.${p.reason}`) : ""}`),
    ready ? reason : null, toggle);
}

async function start(staff) {
  state.staff = staff;
  if (state.stopStream) state.stopStream();
  hidePop();
  document.getElementById("topbar").hidden = false;
  buildNav(staff);
  // on each (re)connection the badge is read again: notices may have come meanwhile
  state.stopStream = openStream(onEvent, (now) => { if (now === "live") refreshUnread(); },
    () => signInOverlay({ again: true }));
  refreshUnread();
  loadOutages();
  if (isHotline(staff)) {
    api.get("/api/presence").then(drawPresence).catch(() => drawPresence(null));
    showNewestUnreadPop();
  }
  if (!location.hash || location.hash === "#/") location.hash = `#/${home(staff)}`;
  else route();
}

async function boot() {
  await loadLanguage(preferredLanguage());
  translate();
  const lang = document.getElementById("lang");
  lang.value = preferredLanguage();
  lang.addEventListener("change", async () => {
    await loadLanguage(lang.value);
    translate();
    if (state.staff) { buildNav(state.staff); drawBanner(); route(); }
  });
  document.getElementById("sign-out").addEventListener("click", () => {
    if (state.stopStream) state.stopStream();
    api.signOut();
    location.hash = "";
    location.reload();
  });
  window.addEventListener("hashchange", route);
  const session = api.currentSession();
  if (session && (await api.accessToken())) await start(session.staff);
  else await signInOverlay();
}

boot();
