// A deadline clock as a live countdown, coloured at the warning points (50/75/90/100 % of its
// time used; services/calls/clocks.py sends the warnings at the same points).
import { t, label, dateTime, duration } from "./i18n.js";
import { h } from "./ui.js";

export function used(clock, now = Date.now()) {
  const start = Date.parse(clock.started_at), due = Date.parse(clock.due_at);
  const end = clock.stopped_at ? Date.parse(clock.stopped_at) : now;
  return due > start ? ((end - start) / (due - start)) * 100 : 100;
}

export function colour(percent) {
  if (percent >= 100) return "red";
  if (percent >= 90) return "orange";
  if (percent >= 75) return "orange";
  if (percent >= 50) return "yellow";
  return "green";
}

function text(clock) {
  if (clock.stopped_at) return clock.cancelled ? t("clock.cancelled") : clock.on_time ? t("clock.met") : t("clock.missed");
  const left = Date.parse(clock.due_at) - Date.now();
  return left >= 0 ? t("clock.left", { d: duration(left) }) : t("clock.overdue_by", { d: duration(left) });
}

/** A chip that counts down each second while it is on the page. */
export function countdown(clock) {
  const el = h("span", { class: "chip countdown", title: `${label("clock", clock.clock)} · ${t("clock.due")} ${dateTime(clock.due_at)}` });
  const draw = () => {
    const percent = used(clock);
    el.className = `chip countdown ${clock.stopped_at ? (clock.on_time ? "green" : "grey") : colour(percent)}`;
    el.dataset.percent = Math.floor(percent);
    el.textContent = `${label("clock", clock.clock)} ${text(clock)}`;
  };
  draw();
  if (!clock.stopped_at) {
    const timer = setInterval(() => { if (!el.isConnected && el.dataset.drawn) clearInterval(timer); el.dataset.drawn = "1"; draw(); }, 1000);
  }
  return el;
}

/** The nearest due time among an order's running clocks (Infinity when none runs). */
export function nearestDue(order) {
  const running = (order.clocks || []).filter((c) => !c.stopped_at).map((c) => Date.parse(c.due_at));
  return running.length ? Math.min(...running) : Infinity;
}
