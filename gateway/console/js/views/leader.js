// Leaders: the live board, outages and storms, the month's evaluation, the staffing plan chart.
import * as api from "../api.js";
import { t, label, dateTime, chinaMonth, chinaToday, chinaInstant, timeOnly } from "../i18n.js";
import { h, fill, card, table, chip, field, form, select, toast } from "../ui.js";
import { onLive } from "../app.js";
import { isLeader } from "../roles.js";

function stat(n, key, alert = false, id = null) {
  return h("div", { class: `stat ${alert && n ? "alert" : ""}`, id }, h("div", { class: "n" }, n ?? "—"), h("div", { class: "l" }, t(key)));
}

export async function renderBoard(root) {
  const draw = async () => {
    const b = await api.get("/api/board");
    const calls = b.calls_last_15_min || { by_category: {}, total: 0 };
    const states = Object.entries(b.orders_by_state || {});
    fill(root, 
      h("div", { class: "toolbar" }, h("h1", { style: "margin:0" }, t("board.title")), h("span", { class: "muted" }, t("board.at", { at: dateTime(b.at) }))),
      h("div", { class: "stats", id: "board-stats" },
        stat(calls.total, "board.calls_15"), stat(b.overdue, "board.overdue", true), stat(b.escalated, "board.escalated", true),
        stat(b.agents?.ready, "board.ready"), stat(b.agents?.ringing, "board.ringing"), stat(b.agents?.on_call, "board.on_call"),
        stat(b.agents?.wrap_up, "board.wrap_up"), stat(b.agents?.away, "board.away"), stat(b.agents?.offline, "board.offline", true),
        stat(b.agents?.on_leave, "board.on_leave"), stat(b.agents?.off_shift, "board.off_shift")),
      h("div", { style: "height:16px" }),
      h("div", { class: "grid three" },
        card(t("board.by_category"), table([{ key: "order.category", cell: ([k]) => label("category", k) }, { key: "board.count", cell: ([, n]) => n }], Object.entries(calls.by_category || {}))),
        card(t("board.by_state"), table([{ key: "order.state", cell: ([k]) => label("state", k) }, { key: "board.count", cell: ([, n]) => n }], states)),
        card(t("board.agents"), table([{ key: "board.agent", cell: (a) => a.name }, { key: "board.state", cell: (a) => chip(label("presence", a.state), AGENT_COLOURS[a.state] ?? "grey") },
          { key: "coach.title", cell: (a) => a.state === "on_call" ? coachButtons(a) : "" }], b.agent_list || []))),
      card(t("board.storms"), stormsTable(b.open_storms || [])));
  };
  await draw();
  const timer = setInterval(() => { if (!root.isConnected) clearInterval(timer); else draw().catch(() => {}); }, 15000);
  onLive((name) => { if (name === "outage" || name === "presence" || name === "notice") draw().catch(() => {}); });
}

function stormsTable(storms) {
  return table([
    { key: "outage.area", cell: (s) => s.area }, { key: "storm.reports", cell: (s) => s.reports },
    { key: "storm.detected", cell: (s) => dateTime(s.detected_at) },
    { key: "storm.parent", cell: (s) => s.parent_work_order_id ? h("a", { href: `#/order/${s.parent_work_order_id}` }, t("storm.open_parent")) : "—" },
  ], storms);
}

export async function renderOutages(root, _args, staff) {
  const list = await api.get("/api/outages");
  const leader = isLeader(staff);
  const declare = leader ? form([
    field("outage.area", select("area", (list.areas || []).map((a) => [a, a]))),
    field("outage.description", h("input", { name: "description", size: 40, maxlength: 10000, required: true })),
    field("outage.expected", h("input", { name: "expected_restore_at", type: "datetime-local" })),
  ], "outage.declare", async (v) => {
    await api.post("/api/outages", { ...v, expected_restore_at: v.expected_restore_at ? chinaInstant(v.expected_restore_at) : null });
    toast(t("outage.declared_ok"));
    renderOutages(root, _args, staff);
  }) : null;
  fill(root, h("h1", {}, t("outage.title")),
    leader ? card(t("outage.declare_title"), declare) : null,
    card(t("outage.active"), table([
      { key: "outage.area", cell: (o) => o.area }, { key: "outage.description", cell: (o) => o.description || "—" },
      { key: "outage.declared_at", cell: (o) => dateTime(o.declared_at) }, { key: "outage.expected", cell: (o) => dateTime(o.expected_restore_at) },
      { key: "outage.source", cell: (o) => label("outage.source", o.source) },
      { key: "common.actions", cell: (o) => leader ? h("button", { class: "danger", onclick: async () => {
        try { await api.post(`/api/outages/${o.id}/lift`); toast(t("outage.lifted_ok")); renderOutages(root, _args, staff); } catch (exc) { toast(exc.message, "error"); }
      } }, t("outage.lift")) : "" },
    ], list.items)),
    card(t("board.storms"), stormsTable(list.storms || [])));
  onLive((name) => { if (name === "outage") renderOutages(root, _args, staff); });
}

export async function renderEvaluation(root, [month], staff) {
  month = month || chinaMonth();
  const data = await api.get(`/api/evaluations/${month}`);
  const leader = isLeader(staff);
  const pct = (v) => v === null || v === undefined ? "—" : `${Math.round(v * 100)}%`;
  const onTime = (r) => Object.entries(r.on_time_rate || {}).map(([k, v]) => `${label("clock", k)} ${pct(v)}`).join("，") || "—";
  const scoreCell = (r) => {
    if (!leader || r.staff_id === staff.id) return r.score ?? "—";
    return form([
      h("input", { name: "score", type: "number", min: 0, max: 100, value: r.score ?? "", style: "width:70px", required: true, "aria-label": t("evaluation.score") }),
      h("input", { name: "comment", value: r.comment || "", maxlength: 2000, placeholder: t("evaluation.comment"), style: "width:180px" }),
    ], "common.save", async (v) => {
      await api.put(`/api/evaluations/${month}/${r.staff_id}`, { score: Number(v.score), comment: v.comment || "" });
      toast(t("evaluation.saved", { name: r.name }));
    });
  };
  const picker = h("input", { type: "month", value: month, onchange: (e) => { location.hash = `#/evaluation/${e.target.value}`; } });
  const csv = h("button", { onclick: () => download(`/api/evaluations/${month}?format=csv`, `evaluation-${month}.csv`) }, t("common.csv"));
  fill(root, h("div", { class: "toolbar" }, h("h1", { style: "margin:0" }, t("evaluation.title")), h("div", {}, picker, " ", csv)),
    card(null, table([
      { key: "evaluation.name", cell: (r) => r.name }, { key: "evaluation.role", cell: (r) => label("role", r.role) },
      { key: "evaluation.assigned", cell: (r) => r.orders_assigned }, { key: "evaluation.handled", cell: (r) => r.orders_handled },
      { key: "evaluation.on_time", cell: onTime }, { key: "evaluation.callbacks", cell: (r) => pct(r.callback_on_time_rate) },
      { key: "evaluation.hours", cell: (r) => r.average_hours_to_reply?.toFixed?.(1) ?? "—" },
      { key: "evaluation.escalations", cell: (r) => r.escalations },
      { key: "evaluation.satisfaction", cell: (r) => r.satisfaction?.toFixed?.(1) ?? "—" },
      { key: "evaluation.score_comment", cell: scoreCell },
    ], data.items)));
}

async function download(path, name) {
  try {
    const response = await api.request("GET", path, undefined, { raw: true });
    const blob = await response.blob();
    const link = h("a", { href: URL.createObjectURL(blob), download: name });
    link.click();
  } catch (exc) { toast(exc.message, "error"); }
}

// issue 16: the phone's state from Asterisk beside presence
const AGENT_COLOURS = { ready: "green", ringing: "orange", on_call: "", wrap_up: "yellow", away: "yellow", offline: "red" };

// S3.2 coaching: the leader's phone rings, then joins the agent's call (staffing decides who may)
function coachButtons(agent) {
  const start = (mode) => api.post("/api/coaching", { staff_id: agent.staff_id, mode })
    .then((entry) => toast(t(`coach.${entry.outcome}`, { name: agent.name }), entry.outcome === "originated" ? "info" : "error", `coach.${entry.outcome}`))
    .catch((e) => toast(e.message, "error"));
  return h("span", {},
    h("button", { "data-coach": `listen-${agent.staff_id}`, onclick: () => start("listen") }, t("coach.listen")), " ",
    h("button", { "data-coach": `whisper-${agent.staff_id}`, onclick: () => start("whisper") }, t("coach.whisper")));
}

let chart = null;
export async function renderPlan(root, [day]) {
  day = day || chinaToday();
  const [plan, coverage] = await Promise.all([
    api.get(`/api/staffing-plan?date=${day}`),
    api.get(`/api/roster/coverage?date=${day}`).catch(() => null),
  ]);
  const rows = (coverage && coverage.intervals) || plan.intervals;
  const canvas = h("canvas", { id: "plan-chart", "aria-label": t("plan.title") });
  const picker = h("input", { type: "date", value: day, onchange: (e) => { location.hash = `#/plan/${e.target.value}`; } });
  const summary = plan.summary?.seat_agent || {};
  fill(root, 
    h("div", { class: "toolbar" }, h("h1", { style: "margin:0" }, t("plan.title")), picker),
    h("div", { class: "stats" },
      stat(summary.peak_needed, "plan.peak"), stat(summary.hours_needed, "plan.hours_needed"),
      stat(summary.hours_rostered, "plan.hours_rostered"), stat(summary.max_short, "plan.max_short", true),
      stat(plan.basis?.calls_used, "plan.calls_used")),
    plan.happened && plan.happened.offered ? h("p", { id: "plan-happened", class: "muted" }, t("plan.happened", {
      forecast: plan.happened.forecast_arrivals, offered: plan.happened.offered,
      in_target: plan.happened.answered_in_target, abandoned: plan.happened.abandoned })) : null,
    h("div", { style: "height:16px" }),
    card(t("plan.chart", { day }), h("div", { class: "chart-box" }, canvas),
      h("p", { class: "muted" }, plan.working_day ? t("plan.working_day") : t("plan.rest_day"))),
    card(t("plan.short"), table([
      { key: "plan.interval", cell: (r) => r.starts }, { key: "plan.needed", cell: (r) => r.seat_agents_needed },
      { key: "plan.rostered", cell: (r) => r.seat_agents_rostered }, { key: "plan.short_by", cell: (r) => chip(r.seat_agents_short, "red") },
    ], rows.filter((r) => r.seat_agents_short > 0 || r.duty_leaders_short > 0))),
    card(t("plan.happened_title"), h("div", { id: "plan-intervals" }, table([
      { key: "plan.interval", cell: (r) => r.starts }, { key: "plan.forecast", cell: (r) => r.arrivals },
      { key: "plan.offered", cell: (r) => r.offered }, { key: "plan.in_target", cell: (r) => r.answered_in_target },
      { key: "plan.abandoned", cell: (r) => r.abandoned },
    ], plan.intervals.filter((r) => r.offered > 0)))));
  if (chart) chart.destroy();
  if (!window.Chart) return;
  chart = new window.Chart(canvas, {
    data: {
      labels: rows.map((r) => r.starts),
      datasets: [
        { type: "bar", label: t("plan.rostered"), data: rows.map((r) => r.seat_agents_rostered), backgroundColor: "rgba(11,92,173,.35)", borderColor: "#0b5cad", borderWidth: 1 },
        { type: "line", label: t("plan.needed"), data: rows.map((r) => r.seat_agents_needed), borderColor: "#c62828", backgroundColor: "#c62828", stepped: true, pointRadius: 0, borderWidth: 2 },
      ],
    },
    options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: t("plan.seats") } } } },
  });
}

export { timeOnly };
