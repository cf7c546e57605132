// The inbox: notices newest first, unread in bold; opening one marks it read.
import * as api from "../api.js";
import { t, dateTime } from "../i18n.js";
import { h, fill, card, toast } from "../ui.js";
import { noticeParams, refreshUnread, onLive } from "../app.js";

// the page a notice is about, by its subject; none (a repair, a staff member): just read it
const TARGETS = {
  work_order: (id) => `#/order/${id}`,
  leave: () => "#/leave",
  post: () => "#/org",
  rota: () => "#/rota",
  custody: () => "#/assets",
  seal: () => "#/assets",
  window: () => "#/assets",
  booking: (_id, p) => `#/rooms/${p.day || ""}`,
  room_fault: () => "#/rooms",
  visit_plan: (id) => `#/visit-plan/${id}`,
  visit_month: (id) => `#/visits/${id}`,
  visit: (id) => `#/visit/${id}`,
  follow_up: (_id, p) => `#/visit/${p.visit_id}`,
  login_lockout: () => "#/lockouts",
};

function target(notice) {
  const s = notice.subject || {};
  const to = TARGETS[s.type];
  return to ? to(encodeURIComponent(s.id), notice.params || {}) : null;
}

export async function renderInbox(root) {
  const page = await api.get("/api/inbox?limit=100");
  const open = async (n) => {
    if (!n.read_at) { try { await api.post(`/api/inbox/${n.id}/read`); } catch { /* still open */ } refreshUnread(); }
    const to = target(n);
    if (to) location.hash = to; else renderInbox(root);
  };
  fill(root, 
    h("div", { class: "toolbar" }, h("h1", { style: "margin:0" }, t("inbox.title")),
      h("button", { onclick: async () => {
        try { await api.post("/api/inbox/read-all"); refreshUnread(); renderInbox(root); } catch (exc) { toast(exc.message, "error"); }
      } }, t("inbox.read_all"))),
    card(null, page.items.length ? page.items.map((n) => h("div", { class: `notice-item ${n.read_at ? "" : "unread"}` },
      h("button", { class: "link", onclick: () => open(n) }, t(`notice.${n.kind}`, noticeParams(n))),
      h("span", { class: "muted" }, dateTime(n.created_at)))) : h("div", { class: "empty" }, t("inbox.empty"))));
  onLive((name) => { if (name === "notice") renderInbox(root); });
}
