// Locked logins (issue 10): who is locked out, from which address and since when, for HR and
// the hall director, who lift it here (staffing decides who may; others see its refusal).
import * as api from "../api.js";
import { t, label, dateTime } from "../i18n.js";
import { h, fill, card, table, toast } from "../ui.js";
import { onLive } from "../app.js";

export async function renderLockouts(root, _args, _staff, path = "/api/org/lockouts?limit=50") {
  const page = await api.get(path);
  const redraw = () => renderLockouts(root);
  const lift = (row) => h("button", { class: "primary", dataset: { staff: row.staff_id }, onclick: async () => {
    try {
      await api.post(`/api/org/staff/${row.staff_id}/unlock`);
      toast(t("lockouts.lifted_ok", { name: row.name }));
      redraw();
    } catch (exc) { toast(exc.message, "error"); }
  } }, t("lockouts.lift"));
  fill(root, h("h1", {}, t("lockouts.title")),
    h("div", { class: "hint" }, t("lockouts.hint")),
    card(null, h("div", { id: "lockouts" }, table([
      { key: "lockouts.who", cell: (r) => h("div", {}, r.name, h("div", { class: "muted" }, r.username)) },
      { key: "org.department", cell: (r) => label("department", r.department) },
      { key: "lockouts.address", cell: (r) => r.address },
      { key: "lockouts.failures", cell: (r) => String(r.failures) },
      { key: "lockouts.since", cell: (r) => dateTime(r.locked_at) },
      { key: "common.actions", cell: lift },
    ], page.items)),
    page.next ? h("button", { class: "link", onclick: () => renderLockouts(root, _args, _staff, page.next) }, t("lockouts.more")) : null));
  onLive((name, data) => { if (name === "notice" && (data.subject || {}).type === "login_lockout") redraw(); });
}
