// The screen pop (弹屏): who is calling, their registered details, earlier orders and outages
// for their area, from GET /api/work-orders/<id>/pop. Enter (or the button) opens the order
// and marks the notice read; Esc hides the pop (it stays unread in the inbox).
import * as api from "./api.js";
import { t, label, dateTime, dateOnly } from "./i18n.js";
import { h } from "./ui.js";
import { refreshUnread } from "./app.js";

let shown = null;

/** A notice shown as a pop: a routed call, or a call a person escalated to me (a caller is
 *  waiting: ``live``). */
export function isPop(notice) {
  return notice.kind === "screen_pop" || (notice.kind === "work_order.escalated" && !!notice.params?.live);
}

function onKey(event) {
  if (!shown) return;
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName);
  if (event.key === "Enter" && !typing) { event.preventDefault(); openOrder(); }
  else if (event.key === "Escape") hidePop();
}
document.addEventListener("keydown", onKey);

export function hidePop() {
  shown = null;
  const box = document.getElementById("pop");
  box.hidden = true;
  box.replaceChildren();
}

async function openOrder() {
  if (!shown) return;
  const { notice, orderId } = shown;
  hidePop();
  location.hash = `#/order/${orderId}`;
  if (notice && notice.id && !notice.read_at) {
    try { await api.post(`/api/inbox/${notice.id}/read`); } catch { /* stays unread */ }
    refreshUnread();
  }
}

export async function showPop(notice) {
  const orderId = (notice.params && notice.params.work_order_id) || (notice.subject && notice.subject.id);
  if (!orderId) return;
  shown = { notice, orderId };
  const box = document.getElementById("pop");
  box.replaceChildren(frame(notice, null, orderId));
  box.hidden = false;
  try {
    const pop = await api.get(`/api/work-orders/${orderId}/pop`);
    if (shown && shown.orderId === orderId) box.replaceChildren(frame(notice, pop, orderId));
  } catch (exc) {
    if (shown && shown.orderId === orderId) box.querySelector(".body").append(h("div", { class: "warn" }, exc.message));
  }
}

function frame(notice, pop, orderId) {
  const params = notice.params || {};
  const number = (pop && pop.caller_number) || params.caller_number || "—";
  const title = notice.kind === "work_order.escalated"
    ? t("pop.escalated", { by: params.by || "", reason: params.reason || "" }) : t("pop.title");
  const customer = pop && pop.customer;
  const body = h("div", { class: "body" });
  if (!pop) body.append(h("div", { class: "muted" }, t("common.loading")));
  else {
    body.append(h("dl", { class: "kv" },
      h("dt", {}, t("pop.name")), h("dd", { id: "pop-name" }, customer ? customer.name : pop.caller_name || t("pop.unknown_caller")),
      h("dt", {}, t("pop.work_unit")), h("dd", {}, customer?.work_unit || "—"),
      h("dt", {}, t("pop.contact")), h("dd", {}, customer?.contact || "—"),
      h("dt", {}, t("pop.address")), h("dd", {}, customer?.address || "—"),
      h("dt", {}, t("pop.ivr_category")), h("dd", {}, label("category", pop.category)),
      h("dt", {}, t("pop.order")), h("dd", { class: "mono" }, pop.work_order_id),
    ));
    for (const outage of pop.outages || []) {
      body.append(h("div", { class: "warn" }, `${t("outage.banner")} ${outage.area}：${outage.description || ""}`,
        outage.expected_restore_at ? ` · ${t("outage.expected")} ${dateTime(outage.expected_restore_at)}` : ""));
    }
    const earlier = pop.earlier_orders || [];
    body.append(h("h3", {}, t("pop.earlier", { n: pop.earlier_total ?? earlier.length })));
    body.append(earlier.length ? h("table", { id: "pop-earlier" },
      h("thead", {}, h("tr", {}, ["order.created_at", "order.category", "order.state", "order.owner"].map((k) => h("th", {}, t(k))))),
      h("tbody", {}, earlier.map((o) => h("tr", {},
        h("td", {}, dateOnly(o.created_at)), h("td", {}, label("category", o.category)),
        h("td", {}, label("state", o.state)), h("td", {}, ownerName(o.assignee))))))
      : h("div", { class: "muted" }, t("pop.no_earlier")));
  }
  return h("div", { id: "pop-card", role: "dialog", "aria-label": t("pop.title") },
    h("header", {}, h("div", {}, h("div", { class: "muted-light" }, title), h("div", { class: "number", id: "pop-number" }, number)),
      h("button", { class: "link", style: "color:#fff", onclick: hidePop, "aria-label": t("common.close") }, "✕")),
    body,
    h("div", { class: "actions" },
      h("button", { onclick: hidePop }, t("pop.later")),
      h("button", { class: "primary", id: "pop-open", onclick: openOrder, dataset: { order: orderId } }, t("pop.open"))));
}

function ownerName(assignee) {
  if (!assignee) return "—";
  if (typeof assignee === "string") return assignee;
  return assignee.name || String(assignee.id ?? "—");
}

/** After sign-in: the newest unread screen pop, if any (pending pops of an offline agent). */
export async function showNewestUnreadPop() {
  try {
    const page = await api.get("/api/inbox?unread=true&limit=50");
    const pop = page.items.find(isPop);
    if (pop) showPop(pop);
  } catch { /* no inbox yet */ }
}
