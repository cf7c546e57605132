// A work order: its details, clocks, history as a timeline, and a form for exactly each
// action the server's allowed_actions offers. A refusal shows the problem's detail.
import * as api from "../api.js";
import { t, label, dateTime, chinaInstant } from "../i18n.js";
import { h, fill, card, chip, field, form, select, table, toast } from "../ui.js";
import { countdown } from "../clocks.js";
import { onLive } from "../app.js";
import { isHotline, isLeader } from "../roles.js";

// What each menu choice may be refined to (services/calls/taxonomy.py REFINEMENTS).
const REFINEMENTS = {
  inquiry: ["inquiry", "opinion", "suggestion", "praise"],
  fault_report: ["fault_report"],
  complaint: ["complaint", "report"],
  service_application: ["service_application"],
  unclassified: ["inquiry", "fault_report", "complaint", "report", "opinion", "suggestion", "praise", "service_application"],
};
const SUB_TYPES = { service_application: ["reconnection_after_arrears", "damaged_appliance", "meter_fault", "meter_reading_anomaly", "other"] };
const AREAS = ["urban", "rural", "remote"];
const ORDER = ["classify", "describe", "dispatch", "start", "record_result", "contact", "promise_callback", "urge",
  "reply", "revisit", "close", "escalate", "assign", "reopen", "merge"];

let departments = null;
async function sections() {
  if (!departments) {
    const org = await api.get("/api/org").catch(() => ({ departments: [] }));
    departments = org.departments.filter((d) => d.kind === "section");
  }
  return departments;
}

async function hotlineStaff() {
  const board = await api.get("/api/board").catch(() => null);
  return board ? board.agent_list || [] : [];
}

export async function renderOrder(root, [id], staff) {
  const [order, callbacks] = await Promise.all([
    api.get(`/api/work-orders/${encodeURIComponent(id)}`),
    isHotline(staff) ? api.get(`/api/work-orders/${encodeURIComponent(id)}/callback-calls`).catch(() => null) : null,
  ]);
  const refresh = () => { if (location.hash === `#/order/${id}`) renderOrder(root, [id], staff); };
  const act = async (action, fields) => {
    await api.post(`/api/work-orders/${order.id}/${action}`, fields);
    await renderOrder(root, [id], staff);
  };
  const allowed = ORDER.filter((a) => order.allowed_actions.includes(a));
  const forms = await Promise.all(allowed.map((a) => actionForm(a, order, act)));
  const panel = h("div", { id: "action-panel" });
  const buttons = allowed.map((a) => h("button", {
    type: "button", dataset: { open: a }, onclick: () => choose(a),
  }, label("action", a)));
  const choose = (chosen) => {
    buttons.forEach((b) => b.classList.toggle("active", b.dataset.open === chosen));
    panel.replaceChildren(forms[allowed.indexOf(chosen)]);
  };
  if (allowed.length) choose(suggested(order, allowed));
  fill(root, 
    h("div", { class: "toolbar" },
      h("h1", { style: "margin:0" }, `${label("category", order.category)} · ${order.caller?.name || order.caller?.number || ""}`),
      h("div", {}, chip(label("state", order.status), order.status === "closed" ? "grey" : ""), " ",
        h("button", { id: "order-refresh", onclick: () => renderOrder(root, [id], staff) }, t("common.refresh")))),
    h("div", { class: "grid side" },
      h("div", {},
        card(t("order.details"), details(order, refresh)),
        card(t("order.actions"), waitingFor(order),
          forms.length ? h("div", { id: "actions" }, h("div", { class: "action-bar" }, buttons), panel)
            : h("div", { class: "empty" }, t("order.no_actions")))),
      h("div", {},
        card(t("order.clocks"), (order.clocks || []).length ? h("div", { class: "form stack" }, order.clocks.map(clockLine)) : h("div", { class: "empty" }, t("order.no_clocks"))),
        order.callback ? card(t("order.callback"), h("dl", { class: "kv" },
          h("dt", {}, t("callback.matter")), h("dd", {}, order.callback.matter),
          h("dt", {}, t("callback.reply_by")), h("dd", {}, dateTime(order.callback.reply_by)))) : null,
        callbacks?.items?.length ? card(t("order.callback_calls"), callbackCalls(callbacks.items)) : null,
        card(t("order.history"), timeline(order.history || [])))),
  );
  onLive((name, data) => {
    if (name === "notice" && data.subject && data.subject.id === order.id) renderOrder(root, [id], staff);
  });
}

/** Who the order waits for when it is not this person's turn (a hint, from its state). */
function waitingFor(order) {
  const can = (a) => order.allowed_actions.includes(a);
  let key = null;
  if (order.status === "dispatched" && !can("start")) key = "order.waiting.department";
  else if (order.status === "in_progress" && !order.result && !can("record_result")) key = "order.waiting.result";
  else if (["replied", "revisited"].includes(order.status) && !can("close") && !can("revisit")) key = "order.waiting.close";
  else if (order.status === "closed") key = "order.waiting.closed";
  else if (order.status === "merged") key = "order.waiting.merged";
  return key ? h("div", { class: "hint", id: "order-waiting" }, t(key, { department: label("department", order.department) })) : null;
}

/** The action the order's state most likely waits for from this person (shown first). */
function suggested(order, allowed) {
  const classified = (order.history || []).some((e) => e.action === "classify");
  const next = [...(classified ? [] : ["classify"]), "record_result", "start", "dispatch", "reply", "revisit", "close", "reopen"];
  return next.find((a) => allowed.includes(a)) || allowed[0];
}

function details(o, refresh) {
  return h("dl", { class: "kv", id: "order-details" },
    h("dt", {}, t("order.id")), h("dd", { class: "mono" }, o.id),
    h("dt", {}, t("order.caller")), h("dd", {}, [o.caller?.name, o.caller?.number].filter(Boolean).join(" · "),
      o.caller?.number ? h("a", { href: `#/customer/${o.caller.number}`, style: "margin-left:8px" }, t("order.customer_page")) : null),
    h("dt", {}, t("pop.work_unit")), h("dd", {}, o.caller?.work_unit || "—"),
    h("dt", {}, t("pop.contact")), h("dd", {}, o.caller?.contact || "—", " ", callBackButton(o, refresh)),
    h("dt", {}, t("order.address")), h("dd", {}, o.place?.address || "—"),
    h("dt", {}, t("pop.ivr_category")), h("dd", {}, label("category", o.ivr_category)),
    h("dt", {}, t("order.category")), h("dd", {}, label("category", o.category), o.sub_type ? ` / ${label("sub_type", o.sub_type)}` : "", o.area ? ` · ${label("area", o.area)}` : ""),
    h("dt", {}, t("order.owner")), h("dd", {}, o.assignee ? o.assignee.name : "—"),
    h("dt", {}, t("order.department")), h("dd", {}, label("department", o.department)),
    o.escalated_to ? [h("dt", {}, t("order.escalated_to")), h("dd", {}, `${o.escalated_to.name} (${label("role", o.escalated_to.role)})`)] : null,
    o.parent_id ? [h("dt", {}, t("order.parent")), h("dd", {}, h("a", { href: `#/order/${o.parent_id}`, class: "mono" }, o.parent_id))] : null,
    h("dt", {}, t("order.matter")), h("dd", {}, o.matter || "—"),
    o.promise ? [h("dt", {}, t("order.promise")), h("dd", {}, o.promise)] : null,
    o.handling ? [h("dt", {}, t("order.handling")), h("dd", { id: "order-handling" }, handlingText(o.handling))] : null,
    o.result ? [h("dt", {}, t("order.result")), h("dd", { id: "order-result" }, o.result)] : null,
    o.reply ? [h("dt", {}, t("order.reply")), h("dd", {}, o.reply)] : null,
    o.satisfaction ? [h("dt", {}, t("order.satisfaction")), h("dd", {}, `${"★".repeat(o.satisfaction)} ${o.solved ? t("order.solved") : t("order.unsolved")}`)] : null,
    h("dt", {}, t("order.created_at")), h("dd", {}, dateTime(o.created_at)),
  );
}

function clockLine(clock) {
  return h("div", {}, countdown(clock), h("span", { class: "muted", style: "margin-left:8px" }, `${t("clock.due")} ${dateTime(clock.due_at)}`,
    clock.warnings_sent?.length ? ` · ${t("clock.warnings", { list: clock.warnings_sent.join("/") })}` : ""));
}

function timeline(history) {
  return h("ol", { class: "timeline", id: "timeline" }, [...history].reverse().map((entry) => h("li", {},
    h("div", {}, h("b", {}, label("action", entry.action)),
      entry.to_status && entry.to_status !== entry.from_status ? ` → ${label("state", entry.to_status)}` : ""),
    h("div", { class: "when" }, `${dateTime(entry.at)} · ${entry.actor?.id === "system" ? t("actor.system") : entry.actor?.name || ""}`),
    historyNote(entry))));
}

function historyNote(entry) {
  const data = entry.data || {};
  const parts = [];
  for (const key of ["department", "result", "reply", "reason", "matter", "category"]) {
    if (data[key]) parts.push(key === "department" ? label("department", data[key]) : key === "category" ? label("category", data[key]) : String(data[key]));
  }
  if (entry.note && entry.action !== "assign") parts.push(entry.note);
  return parts.length ? h("div", { class: "note" }, parts.join("\n")) : null;
}

function note() { return field("action.note", h("textarea", { name: "note", rows: 2 })); }

async function actionForm(action, order, act) {
  const title = h("h3", {}, label("action", action));
  const box = (children, transform = (v) => v) => h("div", { class: "action-card", dataset: { action } }, title,
    form(children, `action.${action}.submit`, (v) => act(action, transform(v)), { stack: true }));
  switch (action) {
    case "classify": {
      const allowed = REFINEMENTS[order.ivr_category] || REFINEMENTS.unclassified;
      const category = select("category", allowed.map((c) => [c, label("category", c)]), order.category in REFINEMENTS ? order.category : allowed[0]);
      const subType = h("label", {}, t("order.sub_type"), select("sub_type", (SUB_TYPES.service_application).map((s) => [s, label("sub_type", s)])));
      const area = h("label", {}, t("order.area"), select("area", AREAS.map((a) => [a, label("area", a)]), order.area || "urban"));
      const sync = () => { subType.hidden = category.value !== "service_application"; area.hidden = category.value !== "fault_report"; };
      category.addEventListener("change", sync); sync();
      return box([field("order.category", category), subType, area, note()], (v) => {
        if (v.category !== "service_application") delete v.sub_type;
        if (v.category !== "fault_report") delete v.area;
        return v;
      });
    }
    case "dispatch": {
      const list = await sections();
      return box([field("order.department", select("department", list.map((d) => [d.code, d.name]), order.department)), note()]);
    }
    case "assign": {
      const people = await hotlineStaff();
      const input = people.length ? select("assignee", people.map((p) => [String(p.staff_id), `${p.name}（${label("presence", p.state)}）`]))
        : h("input", { name: "assignee", inputmode: "numeric", required: true });
      return box([field("action.assignee", input), note()]);
    }
    case "record_result":
      return box([field("order.result", h("textarea", { name: "result", required: true, maxlength: 10000 })), note()]);
    case "reply":
      return box([field("order.reply", h("textarea", { name: "reply", required: true, maxlength: 10000 })), note()]);
    case "revisit":
      return box([
        field("order.satisfaction", select("satisfaction", [5, 4, 3, 2, 1].map((n) => [String(n), t(`satisfaction.${n}`)]), "5")),
        h("label", { class: "inline" }, h("input", { type: "checkbox", name: "solved", checked: true }), t("order.solved")), note(),
      ], (v) => ({ ...v, satisfaction: Number(v.satisfaction) }));
    case "promise_callback":
      return box([
        field("callback.matter", h("textarea", { name: "matter", required: true, maxlength: 2000 })),
        field("order.caller_name", h("input", { name: "caller_name", value: order.caller?.name || "" })),
        field("pop.work_unit", h("input", { name: "work_unit", value: order.caller?.work_unit || "" })),
        field("pop.contact", h("input", { name: "contact", value: order.caller?.contact || "" })),
        field("callback.reply_by", h("input", { name: "reply_by", type: "datetime-local" })), note(),
      ], (v) => ({ ...v, reply_by: v.reply_by ? chinaInstant(v.reply_by) : undefined }));
    case "describe":
      return box([
        field("order.matter", h("textarea", { name: "matter", maxlength: 2000 }, order.matter || "")),
        field("order.address", h("input", { name: "address", maxlength: 256, value: order.place?.address || "" })),
        field("order.meter_number", h("input", { name: "meter_number", maxlength: 32, value: order.place?.meter_number || "" })),
        field("order.transformer_area", h("input", { name: "transformer_area", maxlength: 100, value: order.place?.transformer_area || "" })),
        field("order.promise", h("input", { name: "promise", maxlength: 500, value: order.promise || "" })),
      ]);
    case "escalate":
      return box([field("action.reason", h("input", { name: "reason", required: true, maxlength: 200 })), note()]);
    case "merge":
      return box([field("action.parent", h("input", { name: "parent", required: true, size: 36 })), note()]);
    default: // start, urge, contact, close, reopen: a note only
      return box([note()]);
  }
}

export { isLeader };

// issue 16: the call with an agent as Asterisk reported it
function handlingText(c) {
  const parts = [];
  if (c.answered_at) parts.push(t("order.talk", { talk: c.talk_seconds ?? "…", hold: c.hold_seconds ?? 0, wrapup: c.wrapup_seconds ?? "…" }));
  if (c.abandoned_after_seconds != null) parts.push(t("order.abandoned_after", { seconds: c.abandoned_after_seconds }));
  if (c.ring_no_answers) parts.push(t("order.rang_out", { n: c.ring_no_answers }));
  if (c.end_inferred) parts.push(t("order.end_inferred"));
  return parts.join(" · ");
}

// issue 16, S1.10: click-to-call; Asterisk rings my phone, then the customer; the outcome
// arrives from Asterisk a little later (no live notice carries it): asked for until known
function callBackButton(o, refresh) {
  const ask = async () => {
    try {
      const attempt = await api.post(`/api/work-orders/${o.id}/callback-calls`);
      if (attempt.outcome === "failed") {
        toast(t("callback.failed"), "error", "callback.failed");
        return refresh();
      }
      toast(t("callback.ringing"), "info", "callback.ringing");
      const outcome = await outcomeOf(o.id, attempt.id);
      if (!outcome) return;
      toast(t("callback.outcome", { outcome: label("callback_outcome", outcome) }), outcome === "reached" ? "info" : "error", `callback_outcome.${outcome}`);
      refresh();
    } catch (e) { toast(e.message, "error"); }
  };
  return h("button", { id: "call-back", onclick: ask }, t("callback.call"));
}

// a customer's phone rings up to 45 s (the dialplan's Dial) after the agent's own
const OUTCOME_WAITS_MS = [500, 1000, 1000, 2000, 2000, 3000, 5000, 5000, 10000, 10000, 15000, 15000];

async function outcomeOf(orderId, attemptId) {
  for (const pause of OUTCOME_WAITS_MS) {
    await new Promise((done) => setTimeout(done, pause));
    const page = await api.get(`/api/work-orders/${orderId}/callback-calls`).catch(() => null);
    const mine = page?.items?.find((a) => a.id === attemptId);
    if (mine?.outcome) return mine.outcome;
  }
  return null;
}

function callbackCalls(attempts) {
  return h("div", { id: "callback-calls" }, table([
    { key: "callback.requested_at", cell: (a) => dateTime(a.requested_at) },
    { key: "callback.number", cell: (a) => a.number },
    { key: "callback.result", cell: (a) => h("span", { dataset: { attempt: a.id, outcome: a.outcome || "" } },
      a.outcome ? label("callback_outcome", a.outcome) : t("callback.pending")) },
  ], attempts));
}
