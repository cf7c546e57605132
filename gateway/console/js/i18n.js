// Message catalogues (gateway/console/i18n/<lang>.json) and China local time.
// Every string a person reads goes through t(key, params); dates through the Intl formatters
// below, always in Asia/Shanghai whatever the browser's own zone.

const ZONE = "Asia/Shanghai";
export const LANGS = ["zh-CN", "en"];
let lang = "zh-CN";
let messages = {};

export async function loadLanguage(wanted) {
  lang = LANGS.includes(wanted) ? wanted : "zh-CN";
  const response = await fetch(`/console/i18n/${lang}.json`, { cache: "no-cache" });
  messages = await response.json();
  document.documentElement.lang = lang;
  localStorage.setItem("csc.lang", lang);
  return lang;
}

export function currentLanguage() { return lang; }
export function preferredLanguage() { return localStorage.getItem("csc.lang") || "zh-CN"; }

/** The message for key with {name} placeholders filled from params; the key itself if unknown. */
export function t(key, params = {}) {
  const text = messages[key];
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? "") + "");
}

/** A domain value's label (state.replied, category.fault_report), falling back to the value. */
export function label(prefix, value) {
  if (value === null || value === undefined || value === "") return "—";
  const key = `${prefix}.${value}`;
  return key in messages ? messages[key] : String(value);
}

export function has(key) { return key in messages; }

/** Fill every [data-i18n] element of root with its message. */
export function translate(root = document) {
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
}

function formatter(options) {
  return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", { timeZone: ZONE, hour12: false, ...options });
}

export function dateTime(iso) {
  if (!iso) return "—";
  return formatter({ year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

export function dateOnly(iso) {
  if (!iso) return "—";
  return formatter({ year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
}

export function timeOnly(iso) {
  if (!iso) return "—";
  return formatter({ hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

/** Today's date (YYYY-MM-DD) and month (YYYY-MM) in China. */
export function chinaToday() {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  return parts;
}
export function chinaMonth() { return chinaToday().slice(0, 7); }

/** A local China date-time input value (YYYY-MM-DDTHH:MM) as ISO 8601 with +08:00. */
export function chinaInstant(value) { return value ? `${value}:00+08:00` : null; }

/** A duration in ms as "2天3小时" / "1h 20m" through the catalogue. */
export function duration(ms) {
  const minutes = Math.max(0, Math.round(Math.abs(ms) / 60000));
  const days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
  if (days) return t("time.days_hours", { d: days, h: hours });
  if (hours) return t("time.hours_minutes", { h: hours, m: mins });
  return t("time.minutes", { m: mins });
}
