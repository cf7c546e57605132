// The hall and HR: the organisation (A/B posts, who acts now), leave and approvals waiting for
// me, attendance (clock-in/out, the month's report) and the equipment duty rota's handover.
import * as api from "../api.js";
import { t, label, dateTime, chinaMonth, chinaToday } from "../i18n.js";
import { h, fill, card, table, chip, field, form, select, toast } from "../ui.js";

const LEAVE_TYPES = ["personal", "sick", "annual", "family_visit", "marriage", "maternity", "funeral"];

export async function renderOrg(root) {
  const org = await api.get("/api/org");
  const posts = [...org.items], names = { ...(org.names || {}) };
  for (let page = org; page.next && posts.length < 500;) {
    page = await api.get(page.next);
    posts.push(...page.items);
    Object.assign(names, page.names || {});
  }
  const who = (id) => (id ? names[String(id)] || `#${id}` : "—");
  const away = new Set(org.away || []);
  const person = (id) => id ? h("span", {}, who(id), away.has(id) ? chip(t("org.away"), "yellow") : null) : "—";
  const deptName = Object.fromEntries(org.departments.map((d) => [d.code, d.name]));
  fill(root, h("h1", {}, t("org.title")),
    h("div", { class: "grid side" },
      card(t("org.posts"), table([
        { key: "org.post", cell: (p) => h("div", {}, label("post", p.code) !== p.code ? label("post", p.code) : p.code, h("div", { class: "muted" }, label("post_kind", p.kind))) },
        { key: "org.department", cell: (p) => deptName[p.department] || p.department },
        { key: "org.a_holder", cell: (p) => person(p.a_holder_id) }, { key: "org.b_holder", cell: (p) => person(p.b_holder_id) },
        { key: "org.acting", cell: (p) => p.uncovered ? chip(t("org.uncovered"), "red")
          : h("span", {}, who(p.acting), p.covering_for ? chip(t("org.covering_for", { name: who(p.covering_for) }), "orange") : null) },
      ], posts)),
      card(t("org.departments"), table([
        { key: "org.department", cell: (d) => d.name }, { key: "org.kind", cell: (d) => label("department_kind", d.kind) },
      ], org.departments))));
}

export async function renderLeave(root, _args, staff) {
  const items = await api.all("/api/leave");
  const mine = items.filter((l) => l.staff_id === staff.id);
  const waiting = items.filter((l) => l.status === "pending" && l.waiting_for && l.waiting_for.staff_id === staff.id);
  const others = items.filter((l) => l.staff_id !== staff.id && !waiting.includes(l));
  const redraw = () => renderLeave(root, _args, staff);
  // S1.12: a holder of seals or keys going on leave hands them over first; the approver sees
  // them (the assets service opens the handovers once the leave is approved)
  const holdings = Object.fromEntries(await Promise.all(waiting.map((l) =>
    api.get(`/api/assets/custody/${l.staff_id}`).then((c) => [l.id, c.holds.filter((x) => x.item !== "asset")])
      .catch(() => [l.id, []]))));
  const request = form([
    field("leave.type", select("leave_type", LEAVE_TYPES.map((k) => [k, label("leave_type", k)]), "annual")),
    field("leave.starts_on", h("input", { name: "starts_on", type: "date", required: true })),
    h("label", { class: "inline" }, h("input", { type: "checkbox", name: "start_pm" }), t("leave.start_pm")),
    field("leave.half_days", h("input", { name: "half_days", type: "number", min: 1, max: 720, value: 2, required: true, style: "width:80px" })),
    field("leave.reason", h("input", { name: "reason", maxlength: 500, size: 30 })),
    field("leave.hospital_record", h("input", { name: "hospital_record", maxlength: 200 })),
    h("label", { class: "inline" }, h("input", { type: "checkbox", name: "emergency" }), t("leave.emergency")),
  ], "leave.submit", async (v) => {
    await api.post("/api/leave", { ...v, half_days: Number(v.half_days) });
    toast(t("leave.requested_ok"));
    redraw();
  });
  const decide = (l) => {
    const noteInput = h("input", { placeholder: t("action.note"), maxlength: 500, style: "width:140px" });
    const cover = (l.needs_cover || []).map((post) => coverForm(l, post, redraw));
    const go = (decision) => async () => {
      try { await api.post(`/api/leave/${l.id}/${decision}`, { note: noteInput.value }); toast(t(`leave.${decision}_ok`)); redraw(); }
      catch (exc) { toast(exc.message, "error"); }
    };
    const holds = (holdings[l.id] || []).map((x) => chip(t("leave.holds", { what: x.label }), "orange"));
    return h("div", { class: "form" }, holds, cover, noteInput,
      h("button", { class: "primary", onclick: go("approve"), dataset: { leave: l.id } }, t("leave.approve")),
      h("button", { class: "danger", onclick: go("reject") }, t("leave.reject")));
  };
  const back = (l) => l.status === "approved" && !l.returned_at ? h("button", { onclick: async () => {
    try { await api.post(`/api/leave/${l.id}/back`, {}); toast(t("leave.back_ok")); redraw(); } catch (exc) { toast(exc.message, "error"); }
  } }, t("leave.back")) : "";
  const columns = (extra) => [
    { key: "leave.who", cell: (l) => l.staff_name || `#${l.staff_id}` },
    { key: "leave.type", cell: (l) => label("leave_type", l.leave_type) },
    { key: "leave.span", cell: (l) => `${l.starts_on}${l.start_pm ? t("leave.pm") : ""} → ${l.ends_on}${l.end_pm ? t("leave.pm") : ""}（${t("leave.days", { n: l.half_days / 2 })}）` },
    { key: "leave.reason", cell: (l) => l.reason || "—" },
    { key: "leave.status", cell: (l) => h("div", {}, chip(label("leave_status", l.status), l.status === "approved" ? "green" : l.status === "rejected" ? "red" : "yellow"),
      l.waiting_for && l.status === "pending" ? h("div", { class: "muted" }, t("leave.waiting_for", { step: label("step", l.waiting_for.step) })) : null) },
    ...extra,
  ];
  fill(root, h("h1", {}, t("leave.title")),
    card(t("leave.waiting"), h("div", { id: "leave-waiting" }, table(columns([{ key: "common.actions", cell: decide }]), waiting))),
    card(t("leave.request"), request),
    card(t("leave.mine"), h("div", { id: "leave-mine" }, table(columns([{ key: "common.actions", cell: back }]), mine))),
    others.length ? card(t("leave.others"), table(columns([]), others)) : null);
}

function coverForm(leave, post, redraw) {
  const input = h("input", { placeholder: t("leave.cover_staff"), inputmode: "numeric", style: "width:110px" });
  return h("span", { class: "form" }, chip(t("leave.needs_cover", { post }), "orange"), input,
    h("button", { onclick: async () => {
      try { await api.post(`/api/leave/${leave.id}/cover`, { post, staff_id: Number(input.value) }); redraw(); } catch (exc) { toast(exc.message, "error"); }
    } }, t("leave.name_cover")));
}

export async function renderAttendance(root, [month]) {
  month = month || chinaMonth();
  const result = h("div", { id: "clock-result", class: "muted" });
  const clock = (which) => async () => {
    try {
      const day = await api.post(`/api/attendance/${which}`);
      result.textContent = t(`attendance.${which}_ok`, { at: dateTime(day.clock_in || day.clock_out || new Date().toISOString()) });
      toast(result.textContent);
    } catch (exc) { toast(exc.message, "error"); }
  };
  const report = h("div", { id: "attendance-report" });
  const picker = h("input", { type: "month", value: month, onchange: (e) => { location.hash = `#/attendance/${e.target.value}`; } });
  fill(root, h("h1", {}, t("attendance.title")),
    card(t("attendance.today", { day: chinaToday() }), h("div", { class: "form" },
      h("button", { class: "primary", id: "clock-in", onclick: clock("clock-in") }, t("attendance.clock_in")),
      h("button", { id: "clock-out", onclick: clock("clock-out") }, t("attendance.clock_out")), result)),
    card(null, h("div", { class: "toolbar" }, h("h2", { style: "margin:0" }, t("attendance.report")), picker), report));
  try {
    const data = await api.get(`/api/attendance/report?month=${month}&limit=200`);
    report.replaceChildren(table([
      { key: "attendance.name", cell: (p) => p.name }, { key: "attendance.department", cell: (p) => label("department", p.department) },
      { key: "attendance.expected", cell: (p) => p.totals.expected_days }, { key: "attendance.present", cell: (p) => p.totals.present_days },
      { key: "attendance.late", cell: (p) => p.totals.late_days ? chip(t("attendance.late_value", { d: p.totals.late_days, m: p.totals.late_minutes }), "yellow") : 0 },
      { key: "attendance.early", cell: (p) => p.totals.early_leave_days },
      { key: "attendance.absent", cell: (p) => p.totals.absent_days ? chip(p.totals.absent_days, "red") : 0 },
      { key: "attendance.excused", cell: (p) => p.totals.excused_days },
    ], data.items || data.people || []));
  } catch (exc) {
    report.replaceChildren(h("div", { class: "empty" }, exc.message));
  }
}

export async function renderRota(root, [day]) {
  day = day || chinaToday();
  const rota = await api.get(`/api/rota?day=${day}`);
  const redraw = () => renderRota(root, [day]);
  const handover = form(rota.equipment.map((item) => field(`equipment.${item}`,
    h("input", { name: item, type: "number", min: 0, value: rota.handover?.items?.[item] ?? "", style: "width:90px", required: true }))),
  "rota.record", async (v) => {
    const items = Object.fromEntries(Object.entries(v).map(([k, n]) => [k, Number(n)]));
    await api.post("/api/rota/handover", { items });
    toast(t("rota.recorded_ok"));
    redraw();
  });
  const received = rota.received;
  fill(root, h("h1", {}, t("rota.title")),
    h("div", { class: "grid two" },
      card(t("rota.today", { day: rota.day }), h("dl", { class: "kv" },
        h("dt", {}, t("rota.window")), h("dd", {}, rota.window ? label("post", rota.window) : "—"),
        h("dt", {}, t("rota.status")), h("dd", {}, chip(label("rota_status", rota.status), rota.status === "missing" ? "red" : "")),
        h("dt", {}, t("rota.next")), h("dd", {}, rota.next ? `${rota.next.day} · ${label("post", rota.next.window)}` : "—"))),
      card(t("rota.received"), received ? h("div", {},
        h("p", {}, t("rota.received_from", { day: received.day, window: label("post", received.from_window) })),
        h("p", { class: "muted" }, Object.entries(received.items || {}).map(([k, n]) => `${label("equipment", k)} ${n}`).join("，")),
        received.confirmed ? chip(label("rota_status", "confirmed"), "green") : h("button", { onclick: async () => {
          try { await api.post(`/api/rota/handover/${received.day}/confirm`, {}); toast(t("rota.confirmed_ok")); redraw(); } catch (exc) { toast(exc.message, "error"); }
        } }, t("rota.confirm"))) : h("div", { class: "empty" }, t("rota.nothing_received")))),
    card(t("rota.handover"), rota.working_day ? handover : h("div", { class: "empty" }, t("rota.closed_day"))));
}
