// The hall's assets (issue 13): what I hold and the handovers I am to confirm, today's window
// checks (S1.9), the seals (S1.11) and keys (S1.12), the training rooms (S2), supplies
// (S1.14) and, for the fixed-asset administrator and the hall's leaders, the register and its
// sub-ledger (S1.13). The assets service decides who may do what; the page shows its refusals.
import * as api from "../api.js";
import { t, label, dateTime, chinaToday, chinaInstant } from "../i18n.js";
import { h, fill, card, table, chip, field, form, select, toast } from "../ui.js";

const act = (path, body, redraw, okKey) => async () => {
  try { await api.post(path, body); toast(t(okKey)); redraw(); } catch (exc) { toast(exc.message, "error"); }
};

export async function renderAssets(root, _args, staff) {
  const redraw = () => renderAssets(root, _args, staff);
  const [mine, tasks, checks, seals, keys] = await Promise.all([
    api.get(`/api/assets/custody/${staff.id}`), api.all("/api/assets/handovers?state=open"),
    api.get("/api/assets/windows/checks"), api.get("/api/assets/seals"), api.get("/api/assets/keys")]);
  const toConfirm = tasks.filter((task) => task.to_staff_id === staff.id);
  fill(root, h("h1", {}, t("assets.title")),
    h("div", { class: "grid two" },
      card(t("assets.mine"), table([
        { key: "assets.item", cell: (x) => label("custody_item", x.item) },
        { key: "assets.label", cell: (x) => x.label },
      ], mine.holds)),
      card(t("assets.handovers"), h("div", { id: "assets-handovers" }, table([
        { key: "assets.item", cell: (x) => `${label("custody_item", x.item)} · ${x.label}` },
        { key: "assets.reason", cell: (x) => label("handover_reason", x.reason) },
        { key: "assets.from", cell: (x) => `#${x.mover_id}` },
        { key: "common.actions", cell: (x) => x.to_staff_id === staff.id
          ? h("button", { class: "primary", dataset: { task: x.id },
            onclick: act(`/api/assets/handovers/${x.id}/confirm`, {}, redraw, "assets.confirmed_ok") },
          t("assets.confirm")) : chip(t("assets.waiting_for", { id: x.to_staff_id ?? "—" }), "yellow") },
      ], tasks)), toConfirm.length ? h("div", { class: "muted" }, t("assets.to_confirm", { n: toConfirm.length })) : null)),
    card(t("assets.checks", { day: checks.day }), h("div", { id: "assets-checks" }, table([
      { key: "assets.window", cell: (w) => w.window },
      { key: "assets.missing", cell: (w) => w.missing.length
        ? w.missing.map((m) => chip(label("asset_check", m), "yellow")) : chip(t("assets.checked"), "green") },
      { key: "common.actions", cell: (w) => checkForm(w, redraw) },
    ], checks.windows))),
    h("div", { class: "grid two" },
      card(t("assets.seals"), table([
        { key: "assets.seal", cell: (s) => s.name },
        { key: "assets.custodian", cell: (s) => s.custodian_id ? `#${s.custodian_id}` : "—" },
        { key: "assets.state", cell: (s) => s.out
          ? h("span", {}, chip(t("assets.seal_out", { at: dateTime(s.out_since) }), s.alert_open ? "red" : "orange"),
            s.alert_open ? chip(t("assets.overdue"), "red") : null)
          : chip(t("assets.seal_in"), "green") },
        { key: "common.actions", cell: (s) => s.out
          ? h("button", { onclick: act(`/api/assets/seals/${s.id}/back`, {}, redraw, "assets.returned_ok") }, t("assets.return"))
          : h("button", { onclick: act(`/api/assets/seals/${s.id}/out`, {}, redraw, "assets.taken_ok") }, t("assets.take_out")) },
      ], seals.items)),
      card(t("assets.keys"), table([
        { key: "assets.key", cell: (k) => `${k.tag} ${k.name}` },
        { key: "assets.holder", cell: (k) => k.holder_id ? `#${k.holder_id}` : "—" },
        { key: "common.actions", cell: (k) => k.holder_id === staff.id ? keyForm(k, redraw) : "" },
      ], keys.items))),
    card(t("assets.supplies"), form([
      field("assets.supply_item", h("input", { name: "item", maxlength: 100, required: true })),
      field("assets.quantity", h("input", { name: "quantity", type: "number", min: 1, max: 10000, value: 1, style: "width:80px" })),
    ], "assets.request", async (v) => {
      await api.post("/api/assets/supplies", { item: v.item, quantity: Number(v.quantity) });
      toast(t("assets.requested_ok"));
    })));
}

function checkForm(w, redraw) {
  const fault = h("input", { placeholder: t("assets.fault"), maxlength: 200, style: "width:140px" });
  const ok = h("input", { type: "checkbox", checked: true });
  const send = (kind) => act(`/api/assets/windows/${encodeURIComponent(w.window)}/checks`,
    kind === "check_in" ? { kind, equipment_ok: ok.checked && !fault.value, ...(fault.value ? { fault: fault.value } : {}) }
      : { kind, locked_and_off: ok.checked }, redraw, "assets.checked_ok");
  return h("span", { class: "form" }, h("label", { class: "inline" }, ok, t("assets.all_well")), fault,
    h("button", { onclick: send("check_in"), dataset: { window: w.window } }, t("assets.check_in")),
    h("button", { onclick: send("check_out") }, t("assets.check_out")));
}

function keyForm(key, redraw) {
  const to = h("input", { placeholder: t("assets.to_staff"), inputmode: "numeric", style: "width:90px" });
  return h("span", { class: "form" }, to, h("button", { onclick: async () => {
    await act(`/api/assets/keys/${key.id}/handover`, { to_staff_id: Number(to.value) }, redraw, "assets.handed_ok")();
  } }, t("assets.hand_over")));
}

export async function renderRooms(root, [day]) {
  day = day || chinaToday();
  const redraw = () => renderRooms(root, [day]);
  const rooms = (await api.get("/api/assets/rooms")).items;
  const days = await Promise.all(rooms.map((r) => api.get(`/api/assets/rooms/${r.code}/bookings?day=${day}`)));
  const book = form([
    field("rooms.room", select("room", rooms.map((r) => [r.code, r.name]), rooms[0]?.code)),
    field("rooms.starts_at", h("input", { name: "starts_at", type: "datetime-local", required: true })),
    field("rooms.ends_at", h("input", { name: "ends_at", type: "datetime-local", required: true })),
    field("rooms.purpose", select("purpose", ["training", "meeting", "other"].map((p) => [p, label("room_purpose", p)]), "training")),
    field("rooms.title_field", h("input", { name: "title", maxlength: 200, required: true })),
    field("rooms.attendees", h("input", { name: "attendees", type: "number", min: 1, max: 10000, value: 5, style: "width:80px" })),
    h("label", { class: "inline" }, h("input", { type: "checkbox", name: "company_wide" }), t("rooms.company_wide")),
  ], "rooms.book", async (v) => {
    const booked = await api.post(`/api/assets/rooms/${v.room}/bookings`, {
      starts_at: chinaInstant(v.starts_at), ends_at: chinaInstant(v.ends_at), purpose: v.purpose,
      title: v.title, attendees: Number(v.attendees), company_wide: !!v.company_wide });
    toast(booked.state === "confirmed" ? t("rooms.booked_ok") : `${label("booking_state", booked.state)}: ${booked.reason}`,
      booked.state === "confirmed" ? "info" : "error");
    redraw();
  });
  const picker = h("input", { type: "date", value: day, onchange: (e) => { location.hash = `#/rooms/${e.target.value}`; } });
  fill(root, h("h1", {}, t("rooms.title")), card(t("rooms.book_title"), book),
    h("div", { class: "toolbar" }, h("h2", { style: "margin:0" }, t("rooms.day")), picker),
    h("div", { class: "grid two" }, rooms.map((room, n) => card(room.name,
      table([
        { key: "rooms.time", cell: (b) => `${dateTime(b.starts_at)} – ${dateTime(b.ends_at).slice(-5)}` },
        { key: "rooms.title_field", cell: (b) => b.title },
        { key: "rooms.attendees", cell: (b) => b.attendees },
        { key: "assets.state", cell: (b) => chip(label("booking_state", b.state), b.state === "confirmed" ? "green" : "yellow") },
      ], days[n].items),
      h("h3", {}, t("rooms.equipment")),
      table([
        { key: "assets.label", cell: (e) => `${e.tag} ${e.name}` },
        { key: "common.actions", cell: (e) => h("button", { onclick: async () => {
          const description = prompt(t("rooms.fault_prompt"));
          if (description) await act(`/api/assets/rooms/${room.code}/faults`, { asset_id: e.id, description }, redraw, "rooms.fault_ok")();
        } }, t("rooms.report_fault")) },
      ], room.equipment)))));
}

export async function renderRegister(root, [year]) {
  year = year || chinaToday().slice(0, 4);
  const redraw = () => renderRegister(root, [year]);
  const range = `from=${year}-01-01&to=${year === chinaToday().slice(0, 4) ? chinaToday() : `${year}-12-31`}`;
  const ledger = h("div", { id: "assets-ledger" });
  const list = await api.get("/api/assets?limit=200");
  const add = form([
    field("register.tag", h("input", { name: "tag", maxlength: 40, required: true, style: "width:120px" })),
    field("register.kind", select("kind", KINDS.map((k) => [k, label("asset_kind", k)]), "computer")),
    field("register.name", h("input", { name: "name", maxlength: 100, required: true })),
    field("register.location_kind", select("location_kind", ["window", "room", "office"].map((k) => [k, label("asset_where", k)]), "window")),
    field("register.location", h("input", { name: "location", maxlength: 40, required: true, style: "width:100px" })),
    field("register.acquired_on", h("input", { name: "acquired_on", type: "date", required: true })),
    field("register.value", h("input", { name: "value", type: "number", min: 0, step: "0.01", required: true, style: "width:110px" })),
  ], "register.add", async (v) => {
    await api.post("/api/assets", { tag: v.tag, kind: v.kind, name: v.name, location_kind: v.location_kind,
      location: v.location, acquired_on: v.acquired_on, value_cents: Math.round(Number(v.value) * 100) });
    toast(t("register.added_ok"));
    redraw();
  });
  const picker = h("input", { type: "number", min: 2000, max: 2099, value: year, style: "width:90px",
    onchange: (e) => { location.hash = `#/register/${e.target.value}`; } });
  fill(root, h("h1", {}, t("register.title")),
    card(null, h("div", { class: "toolbar" }, h("h2", { style: "margin:0" }, t("register.ledger")), picker,
      h("a", { href: "#", onclick: (e) => { e.preventDefault(); download(`/api/assets/ledger?${range}&format=csv`, `asset-ledger-${year}.csv`); } }, t("common.csv"))), ledger),
    card(t("register.add_title"), add),
    card(t("register.assets"), table([
      { key: "register.tag", cell: (a) => a.tag }, { key: "register.kind", cell: (a) => label("asset_kind", a.kind) },
      { key: "register.name", cell: (a) => a.name }, { key: "register.location", cell: (a) => a.location },
      { key: "assets.custodian", cell: (a) => a.custodian_id ? `#${a.custodian_id}` : "—" },
      { key: "register.value", cell: (a) => yuan(a.value_cents) },
    ], list.items)));
  try {
    const data = await api.get(`/api/assets/ledger?${range}`);
    const amount = (x) => `${x.count} / ${yuan(x.value_cents)}`;
    ledger.replaceChildren(table([
      { key: "register.kind", cell: (l) => l.kind === "total" ? h("b", {}, t("register.total")) : label("asset_kind", l.kind) },
      { key: "register.opening", cell: (l) => amount(l.opening) }, { key: "register.additions", cell: (l) => amount(l.additions) },
      { key: "register.disposals", cell: (l) => amount(l.disposals) }, { key: "register.closing", cell: (l) => amount(l.closing) },
    ], data.lines), data.reconciles ? chip(t("register.reconciles"), "green") : chip(t("register.not_reconciled"), "red"));
  } catch (exc) {
    ledger.replaceChildren(h("div", { class: "empty" }, exc.message));
  }
}

const KINDS = ["computer", "printer", "copier", "desk", "chair", "cabinet", "carpet", "safe", "note_counter", "multimedia"];
const yuan = (cents) => `¥${(cents / 100).toFixed(2)}`;

async function download(path, name) {
  try {
    const response = await api.request("GET", path, undefined, { raw: true });
    if (!response.ok) throw new api.Problem(response.status, await response.json().catch(() => null));
    const link = h("a", { href: URL.createObjectURL(await response.blob()), download: name });
    link.click();
  } catch (exc) { toast(exc.message, "error"); }
}
