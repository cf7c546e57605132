// The inbox: notices newest first, unread in bold; opening one marks it read.
import * as api from "../api.js";
import { t, dateTime } from "../i18n.js";
import { h, fill, card, toast } from "../ui.js";
import { noticeParams, refreshUnread, onLive } from "../app.js";

function target(notice) {
  const s = notice.subject || {};
  if (s.type === "work_order") return `#/order/${s.id}`;
  if (s.type === "leave") return "#/leave";
  if (s.type === "post") return "#/org";
  if (s.type === "rota") return "#/rota";
  return null;
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
