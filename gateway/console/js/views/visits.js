// Customer visits (issue 14, S5): progress against the required visits, plans and their review,
// a visit's preparation, expenses, report and follow-ups, customers with their open work orders,
// the month's evaluation. The visits service decides who may do what; refusals show in place.
import * as api from "../api.js";
import { t, label, dateTime, dateOnly, chinaMonth, chinaToday } from "../i18n.js";
import { h, card, table, chip, field, form, select, toast, empty } from "../ui.js";

const KINDS = ["existing", "target", "potential", "peer"];
const PURPOSES = ["market_research", "competitors", "care_relationship", "care_volume",
  "care_payment", "new_customers", "new_products", "coverage"];
const EXPENSES = ["travel", "materials", "gift", "hosting", "other"];
const MATTERS = ["fault_report", "complaint", "service_application"];

const options = (prefix, values) => values.map((v) => [v, label(prefix, v)]);
/** Replace root's children with the nodes given, leaving out the absent (null, false). */
const show = (root, ...nodes) => show(root, ...nodes.flat().filter(Boolean));
const yuan = (cents) => (cents / 100).toFixed(2);
const statusChip = (status) => chip(label("visits.status", status),
  { approved: "green", done: "green", returned: "yellow", submitted: "yellow", cancelled: "grey" }[status] || "");

export async function renderVisits(root, [month = chinaMonth()], staff) {
  const progress = await api.get(`/api/visits/progress${api.query({ month })}`);
  const [plans, followUps, customers] = await Promise.all([
    api.all(`/api/visits/plans${api.query({ month })}`), api.all("/api/visits/follow-ups?state=open"),
    api.all("/api/visits/customers")]);
  const monthInput = h("input", { type: "month", value: month, onchange: (e) => { location.hash = `#/visits/${e.target.value}`; } });
  const addVisit = form([
    field("visits.month", h("input", { name: "month", type: "month", value: month, required: true })),
    field("visits.customer", select("customer_id", customers.map((c) => [String(c.id), c.name]))),
    field("visits.purpose", select("purpose", options("visits.purpose", PURPOSES))),
    field("visits.person_to_meet", h("input", { name: "person_to_meet", maxlength: 100 })),
    field("visits.planned_on", h("input", { name: "planned_on", type: "date", required: true })),
  ], "visits.add_visit", async (v) => {
    const visit = await api.post(`/api/visits/plans/${v.month}/visits`, {
      customer_id: Number(v.customer_id), purpose: v.purpose, planned_on: v.planned_on,
      person_to_meet: v.person_to_meet || "" });
    location.hash = `#/visit-plan/${visit.plan_id}`;
  });
  const addCustomer = form([
    field("visits.name", h("input", { name: "name", maxlength: 200, required: true })),
    field("visits.kind", select("kind", options("visits.kind", KINDS))),
    field("visits.phone", h("input", { name: "phone", maxlength: 64 })),
    field("visits.contact_person", h("input", { name: "contact_person", maxlength: 100 })),
    field("visits.address", h("input", { name: "address", maxlength: 256, size: 30 })),
  ], "visits.add_customer", async (v) => { await api.post("/api/visits/customers", v); renderVisits(root, [month], staff); });
  show(root, 
    h("div", { class: "toolbar" }, h("h1", { style: "margin:0" }, t("visits.title")), monthInput,
      h("a", { href: `#/visit-evaluation/${month}` }, t("visits.evaluation"))),
    card(t("visits.progress"), table([
      { key: "visits.salesperson", cell: (p) => p.name }, { key: "visits.position", cell: (p) => p.position },
      { key: "visits.required", cell: (p) => p.required_visits }, { key: "visits.done", cell: (p) => p.visits_done },
      { key: "visits.to_go", cell: (p) => p.visits_to_go }, { key: "visits.planned_open", cell: (p) => p.visits_planned_open },
    ], progress.items)),
    h("div", { class: "grid side" },
      card(t("visits.plans"), table([
        { key: "visits.salesperson", cell: (p) => String(p.staff_id) }, { key: "visits.month", cell: (p) => p.month },
        { key: "visits.state", cell: (p) => statusChip(p.status) }, { key: "visits.revision", cell: (p) => p.revision },
      ], plans, (p) => { location.hash = `#/visit-plan/${p.id}`; })),
      card(t("visits.add_visit"), customers.length ? addVisit : empty("visits.no_customers"))),
    card(t("visits.follow_ups"), table([
      { key: "visits.what", cell: (f) => f.what }, { key: "visits.due_on", cell: (f) => dateOnly(f.due_on) },
      { key: "visits.visit", cell: (f) => h("a", { href: `#/visit/${f.visit_id}` }, `#${f.visit_id}`) },
      { key: "common.actions", cell: (f) => f.owner_id === staff.id ? form([
        h("input", { name: "result", maxlength: 1000, required: true, placeholder: t("visits.result") }),
      ], "visits.follow_up_done", async (v) => { await api.post(`/api/visits/follow-ups/${f.id}/done`, v); renderVisits(root, [month], staff); }) : "—" },
    ], followUps)),
    h("div", { class: "grid side" },
      card(t("visits.customers"), table([
        { key: "visits.name", cell: (c) => c.name }, { key: "visits.kind", cell: (c) => label("visits.kind", c.kind) },
        { key: "visits.phone", cell: (c) => c.phone || "—" },
      ], customers, (c) => { location.hash = `#/visit-customer/${c.id}`; })),
      card(t("visits.add_customer"), addCustomer)));
}

export async function renderVisitPlan(root, [id], staff) {
  const plan = await api.get(`/api/visits/plans/${id}`);
  const mine = plan.staff_id === staff.id;
  const again = () => renderVisitPlan(root, [id], staff);
  const review = form([
    field("visits.comment", h("input", { name: "comment", maxlength: 1000, size: 40 })),
    field("visits.approve", h("input", { name: "approve", type: "checkbox" })),
  ], "visits.review", async (v) => { await api.post(`/api/visits/plans/${id}/review`, { approve: !!v.approve, comment: v.comment || "" }); again(); });
  show(root, 
    h("div", { class: "toolbar" }, h("h1", { style: "margin:0" }, t("visits.plan_title", { month: plan.month })),
      statusChip(plan.status), plan.changed_after_approval ? chip(t("visits.changed"), "yellow") : null),
    plan.comment ? card(t("visits.comment"), h("p", {}, plan.comment)) : null,
    card(t("visits.visits"), table([
      { key: "visits.planned_on", cell: (v) => dateOnly(v.planned_on) }, { key: "visits.customer", cell: (v) => `#${v.customer_id}` },
      { key: "visits.purpose", cell: (v) => label("visits.purpose", v.purpose) }, { key: "visits.person_to_meet", cell: (v) => v.person_to_meet || "—" },
      { key: "visits.state", cell: (v) => statusChip(v.status) }, { key: "visits.approved", cell: (v) => (v.approved ? "✓" : "—") },
    ], plan.visits, (v) => { location.hash = `#/visit/${v.id}`; })),
    mine ? h("button", { class: "primary", onclick: async () => {
      try { await api.post(`/api/visits/plans/${id}/submit`); toast(t("visits.submitted")); again(); } catch (exc) { toast(exc.message, "error"); }
    } }, t("visits.submit")) : card(t("visits.review"), review));
}

export async function renderVisit(root, [id], staff) {
  const v = await api.get(`/api/visits/${id}`);
  const mine = v.staff_id === staff.id;
  const again = () => renderVisit(root, [id], staff);
  const post = (path, body) => api.post(`/api/visits/${id}/${path}`, body).then(again);
  const facts = h("dl", { class: "kv" },
    h("dt", {}, t("visits.customer")), h("dd", {}, h("a", { href: `#/visit-customer/${v.customer.id}` }, v.customer.name)),
    h("dt", {}, t("visits.purpose")), h("dd", {}, label("visits.purpose", v.purpose)),
    h("dt", {}, t("visits.planned_on")), h("dd", {}, dateOnly(v.planned_on)),
    h("dt", {}, t("visits.person_to_meet")), h("dd", {}, v.person_to_meet || "—"),
    h("dt", {}, t("visits.contacted_at")), h("dd", {}, dateTime(v.contacted_at)),
    h("dt", {}, t("visits.materials")), h("dd", {}, v.materials.join(", ") || "—"),
    h("dt", {}, t("visits.business_trip")), h("dd", {}, v.business_trip ? v.trip_destination : "—"),
    h("dt", {}, t("visits.report_due_at")), h("dd", {}, dateTime(v.report_due_at)),
    h("dt", {}, t("visits.report")), h("dd", {}, v.report || "—", v.report_late ? chip(t("visits.late"), "red") : null));
  const expenses = table([
    { key: "visits.kind", cell: (e) => label("visits.expense", e.kind) }, { key: "visits.amount", cell: (e) => yuan(e.amount_cents) },
    { key: "visits.state", cell: (e) => label("visits.status", e.status) },
    { key: "common.actions", cell: (e) => (!mine && e.status === "applied") ? h("span", {},
      h("button", { onclick: () => api.post(`/api/visits/expenses/${e.id}/approve`).then(again, (x) => toast(x.message, "error")) }, t("visits.approve")),
      h("button", { class: "danger", onclick: () => api.post(`/api/visits/expenses/${e.id}/reject`).then(again, (x) => toast(x.message, "error")) }, t("visits.reject"))) : "—" },
  ], v.expenses);
  const own = mine ? [
    v.status === "planned" ? card(t("visits.preparation"), form([
      field("visits.contacted", h("input", { name: "contacted", type: "checkbox", checked: !!v.contacted_at })),
      field("visits.person_to_meet", h("input", { name: "person_to_meet", value: v.person_to_meet, maxlength: 100 })),
      field("visits.materials", h("input", { name: "materials", value: v.materials.join(", "), size: 30 })),
      field("visits.business_trip", h("input", { name: "business_trip", type: "checkbox", checked: v.business_trip })),
      field("visits.trip_destination", h("input", { name: "trip_destination", value: v.trip_destination, maxlength: 200 })),
    ], "common.save", (f) => post("preparation", { ...f, materials: (f.materials || "").split(/[,，]/).map((s) => s.trim()).filter(Boolean) }))) : null,
    v.status === "planned" ? card(t("visits.apply_expense"), form([
      field("visits.kind", select("kind", options("visits.expense", EXPENSES))),
      field("visits.amount", h("input", { name: "amount", type: "number", min: 0, step: "0.01", required: true })),
      field("visits.description", h("input", { name: "description", maxlength: 500 })),
    ], "visits.apply", (f) => post("expenses", { kind: f.kind, amount_cents: Math.round(Number(f.amount) * 100), description: f.description || "" }))) : null,
    v.status === "planned" ? card(t("visits.mark_done"), form([
      field("visits.done_on", h("input", { name: "done_on", type: "date", value: chinaToday() })),
      field("visits.outcome", h("input", { name: "outcome", maxlength: 2000, size: 40 })),
    ], "visits.mark_done", (f) => post("done", f))) : null,
    v.status === "done" && !v.reported_at ? card(t("visits.file_report"), form([
      field("visits.report", h("textarea", { name: "report", maxlength: 4000, required: true, rows: 4 })),
      field("visits.promise", h("input", { name: "what", maxlength: 500 })),
      field("visits.due_on", h("input", { name: "due_on", type: "date" })),
    ], "visits.file_report", (f) => post("report", { report: f.report, promises: f.what && f.due_on ? [{ what: f.what, due_on: f.due_on }] : [] }), { stack: true })) : null,
    v.status !== "cancelled" ? card(t("visits.raise_matter"), form([
      field("visits.matter", select("category", MATTERS.map((m) => [m, label("category", m)]))),
      field("visits.description", h("input", { name: "description", maxlength: 2000, required: true, size: 40 })),
    ], "visits.raise_matter", (f) => post("matters", f))) : null,
  ] : [v.reported_at ? card(t("visits.review_report"), form([
    field("visits.comment", h("input", { name: "comment", maxlength: 1000, size: 40, value: v.review_comment })),
  ], "visits.review", (f) => post("report/review", { comment: f.comment || "" }))) : null];
  show(root, 
    h("div", { class: "toolbar" }, h("h1", { style: "margin:0" }, t("visits.visit_title", { id: v.id })), statusChip(v.status),
      ...v.flags.map((f) => chip(label("visits.flag", f), "red"))),
    h("div", { class: "grid side" }, card(t("visits.details"), facts), card(t("visits.expenses"), expenses)),
    ...own,
    card(t("visits.follow_ups"), table([
      { key: "visits.what", cell: (f) => f.what }, { key: "visits.due_on", cell: (f) => dateOnly(f.due_on) },
      { key: "visits.state", cell: (f) => label("visits.status", f.state) },
    ], v.follow_ups)),
    card(t("visits.matters"), table([
      { key: "visits.matter", cell: (m) => label("category", m.category) }, { key: "visits.description", cell: (m) => m.description },
      { key: "visits.work_order", cell: (m) => m.work_order_id ? h("a", { href: `#/order/${m.work_order_id}` }, t("visits.open_order")) : t("visits.pending") },
    ], v.matters)));
}

export async function renderVisitCustomer(root, [id]) {
  const c = await api.get(`/api/visits/customers/${id}`);
  show(root, 
    h("h1", {}, `${c.name} · ${label("visits.kind", c.kind)}`),
    h("div", { class: "grid side" },
      card(t("visits.open_orders"), table([
        { key: "visits.matter", cell: (o) => label("category", o.category) }, { key: "visits.channel", cell: (o) => label("visits.channel", o.channel) },
        { key: "visits.opened_at", cell: (o) => dateTime(o.opened_at) },
      ], c.open_work_orders, (o) => { location.hash = `#/order/${o.work_order_id}`; })),
      card(t("visits.details"), h("dl", { class: "kv" },
        h("dt", {}, t("visits.phone")), h("dd", {}, c.phone || "—"),
        h("dt", {}, t("visits.contact_person")), h("dd", {}, c.contact_person || "—"),
        h("dt", {}, t("visits.address")), h("dd", {}, c.address || "—")))),
    card(t("visits.visits"), table([
      { key: "visits.planned_on", cell: (v) => dateOnly(v.planned_on) }, { key: "visits.purpose", cell: (v) => label("visits.purpose", v.purpose) },
      { key: "visits.state", cell: (v) => statusChip(v.status) },
    ], c.visits, (v) => { location.hash = `#/visit/${v.id}`; })));
}

export async function renderVisitEvaluation(root, [month = chinaMonth()]) {
  const report = await api.get(`/api/visits/evaluations/${month}`);
  const csv = h("button", { onclick: async () => {
    const response = await api.request("GET", `/api/visits/evaluations/${month}?format=csv`, undefined, { raw: true });
    if (!response.ok) { toast(t("visits.csv_failed"), "error"); return; }
    const link = h("a", { href: URL.createObjectURL(await response.blob()), download: `visits-evaluation-${month}.csv` });
    link.click();
  } }, t("visits.csv"));
  const yes = (b) => (b ? "✓" : "✗");
  show(root, 
    h("div", { class: "toolbar" }, h("h1", { style: "margin:0" }, t("visits.evaluation_title", { month })),
      h("input", { type: "month", value: month, onchange: (e) => { location.hash = `#/visit-evaluation/${e.target.value}`; } }), csv),
    card(null, table([
      { key: "visits.salesperson", cell: (r) => r.name }, { key: "visits.required", cell: (r) => r.required_visits },
      { key: "visits.done", cell: (r) => r.visits_done }, { key: "visits.plan_on_time", cell: (r) => yes(r.plan_on_time) },
      { key: "visits.reports_on_time", cell: (r) => `${r.reports_on_time} / ${r.reports_on_time + r.reports_late + r.reports_missing}` },
      { key: "visits.follow_ups_on_time", cell: (r) => `${r.follow_ups_on_time} / ${r.follow_ups_due}` },
      { key: "visits.within_approval", cell: (r) => yes(r.expenses_within_approval) },
    ], report.items)));
}
