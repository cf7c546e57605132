// My work (queue by nearest deadline, callbacks due, escalated to me), search, the customer's
// page, and a department's queue.
import * as api from "../api.js";
import { t, label, dateTime, chinaInstant } from "../i18n.js";
import { h, fill, card, table, chip, field, form, select, empty } from "../ui.js";
import { countdown, nearestDue } from "../clocks.js";
import { onLive } from "../app.js";

const STATES = ["new", "assigned", "dispatched", "in_progress", "replied", "revisited", "closed", "merged"];
const CATEGORIES = ["inquiry", "fault_report", "complaint", "report", "opinion", "suggestion", "praise", "service_application", "unclassified"];

const go = (order) => { location.hash = `#/order/${order.id}`; };

export function orderColumns(extra = []) {
  return [
    { key: "order.caller", cell: (o) => h("div", {}, h("div", {}, o.caller?.name || t("pop.unknown_caller")), h("div", { class: "muted" }, o.caller?.number || "")) },
    { key: "order.category", cell: (o) => label("category", o.category) },
    { key: "order.state", cell: (o) => chip(label("state", o.status), o.status === "closed" ? "grey" : "") },
    { key: "order.created_at", cell: (o) => dateTime(o.created_at) },
    ...extra,
  ];
}

const clocksColumn = { key: "order.clocks", cell: (o) => h("div", { class: "clocks" }, (o.clocks || []).filter((c) => !c.stopped_at).map(countdown)) };

/** The orders with their clocks (the queue does not carry them: one read per order). */
async function withClocks(orders) {
  return Promise.all(orders.map((o) => api.get(`/api/work-orders/${o.id}`).catch(() => o)));
}

export async function renderWork(root, _args, staff) {
  const queue = await withClocks(await api.all("/api/queues/mine"));
  queue.sort((a, b) => nearestDue(a) - nearestDue(b));
  const mine = queue.filter((o) => o.assignee && o.assignee.id === staff.id);
  const escalated = queue.filter((o) => o.escalated_to && o.escalated_to.id === staff.id);
  const callbacks = await api.get("/api/callbacks?state=due").catch(() => ({ items: [] }));
  const overdueCallbacks = await api.get("/api/callbacks?state=overdue").catch(() => ({ items: [] }));
  const callbackRows = [...overdueCallbacks.items.map((c) => ({ ...c, overdue: true })), ...callbacks.items];
  fill(root, 
    h("h1", {}, t("work.title")),
    h("div", { class: "stats" },
      stat(mine.length, "work.stat.mine"), stat(escalated.length, "work.stat.escalated", escalated.length > 0),
      stat(callbackRows.length, "work.stat.callbacks", overdueCallbacks.items.length > 0),
      stat(queue.filter((o) => (o.clocks || []).some((c) => c.overdue)).length, "work.stat.overdue", true)),
    h("div", { style: "height:16px" }),
    card(t("work.queue"), h("div", { id: "my-queue" }, table(orderColumns([clocksColumn]), mine, go))),
    card(t("work.escalated"), table(orderColumns([clocksColumn, { key: "order.owner", cell: (o) => o.assignee?.name || "—" }]), escalated, go)),
    card(t("work.callbacks"), table([
      { key: "callback.matter", cell: (c) => c.matter },
      { key: "callback.caller", cell: (c) => [c.caller?.name, c.caller?.contact].filter(Boolean).join(" · ") || "—" },
      { key: "callback.reply_by", cell: (c) => chip(dateTime(c.reply_by), c.overdue ? "red" : "yellow") },
    ], callbackRows, (c) => { location.hash = `#/order/${c.work_order_id}`; })),
  );
  onLive((name, data) => { if (name === "notice" && data.subject?.type === "work_order") renderWork(root, _args, staff); });
}

function stat(n, key, alert = false) {
  return h("div", { class: `stat ${alert && n ? "alert" : ""}` }, h("div", { class: "n" }, n), h("div", { class: "l" }, t(key)));
}

export async function renderSearch(root) {
  const results = h("div", { id: "search-results" });
  const customers = h("div");
  const searchForm = form([
    field("search.caller", h("input", { name: "caller", inputmode: "tel", placeholder: "13800138000" })),
    field("search.order_id", h("input", { name: "order_id", size: 38 })),
    field("search.from", h("input", { name: "from", type: "date" })),
    field("search.to", h("input", { name: "to", type: "date" })),
    field("search.state", select("state", [["", t("common.any")], ...STATES.map((s) => [s, label("state", s)])])),
    field("search.category", select("category", [["", t("common.any")], ...CATEGORIES.map((c) => [c, label("category", c)])])),
  ], "search.submit", async (v) => {
    let orders = [];
    if (v.order_id) orders = [await api.get(`/api/work-orders/${encodeURIComponent(v.order_id.trim())}`)];
    else if (v.caller) orders = await api.all(`/api/work-orders${api.query({ caller: v.caller.trim() })}`);
    else orders = await api.all("/api/queues/mine");
    const from = v.from ? Date.parse(chinaInstant(`${v.from}T00:00`)) : -Infinity;
    const to = v.to ? Date.parse(chinaInstant(`${v.to}T23:59`)) + 60000 : Infinity;
    orders = orders.filter((o) => {
      const at = Date.parse(o.created_at);
      return at >= from && at < to && (!v.state || o.status === v.state) && (!v.category || o.category === v.category);
    });
    results.replaceChildren(table(orderColumns([{ key: "order.owner", cell: (o) => o.assignee?.name || "—" }]), orders, go));
  });
  const customerForm = form([field("customer.search", h("input", { name: "q", placeholder: t("customer.search_hint") }))],
    "search.submit", async (v) => {
      const page = await api.get(`/api/customers${api.query({ q: v.q, per_page: 50 })}`);
      customers.replaceChildren(table([
        { key: "customer.number", cell: (c) => c.number }, { key: "customer.name", cell: (c) => c.name },
        { key: "customer.work_unit", cell: (c) => c.work_unit || "—" }, { key: "customer.address", cell: (c) => c.address || "—" },
      ], page.items, (c) => { location.hash = `#/customer/${c.number}`; }));
    });
  fill(root, h("h1", {}, t("search.title")),
    card(t("search.orders"), searchForm, h("p", { class: "muted" }, t("search.hint")), results),
    card(t("customer.title_search"), customerForm, customers));
}

export async function renderCustomer(root, [number]) {
  const c = await api.get(`/api/customers/${encodeURIComponent(number)}`);
  const edit = form([
    field("customer.name", h("input", { name: "name", value: c.name || "" })),
    field("customer.work_unit", h("input", { name: "work_unit", value: c.work_unit || "" })),
    field("customer.contact", h("input", { name: "contact", value: c.contact || "" })),
    field("customer.address", h("input", { name: "address", value: c.address || "", size: 32 })),
  ], "common.save", async (v) => { await api.put(`/api/customers/${encodeURIComponent(number)}`, v); renderCustomer(root, [number]); });
  fill(root, h("h1", {}, `${c.name} · ${c.number}`),
    h("div", { class: "grid side" },
      card(t("customer.orders"), table(orderColumns([{ key: "order.owner", cell: (o) => o.assignee?.name || "—" }]), await rest(c.work_orders), go)),
      card(t("customer.details"), edit)),
    card(t("customer.calls"), table([
      { key: "call.started_at", cell: (x) => dateTime(x.started_at) }, { key: "order.category", cell: (x) => label("category", x.category) },
      { key: "call.outcome", cell: (x) => label("call_outcome", x.outcome) }, { key: "call.route", cell: (x) => x.route_target || "—" },
    ], await rest(c.calls))));
}

/** A list that is either an array or a first page ({items, next}): every item, up to 200. */
async function rest(list) {
  if (!list) return [];
  if (Array.isArray(list)) return list;
  const items = [...list.items];
  if (list.next) items.push(...(await api.all(list.next, 200 - items.length)));
  return items;
}

export async function renderDepartment(root, _args, staff) {
  const department = staff.department;
  const orders = await api.all(`/api/queues/departments/${encodeURIComponent(department)}`);
  fill(root, h("h1", {}, t("department.title", { department: label("department", department) })),
    card(t("department.queue"), orders.length ? table(orderColumns([
      { key: "order.matter", cell: (o) => o.matter || "—" },
      { key: "order.address", cell: (o) => o.place?.address || "—" },
    ]), orders, go) : empty("department.empty")));
  onLive((name, data) => { if (name === "notice" && data.subject?.type === "work_order") renderDepartment(root, _args, staff); });
}
