// Small DOM helpers: h() builds elements (text is always text, never HTML), toasts, forms.
import { t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A passing message; ``key`` (the catalogue key it says) marks it for tests and styles. */
export function toast(message, kind = "info", key = null) {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status", dataset: key ? { toast: key } : {} }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

export function chip(text, colour = "") { return h("span", { class: `chip ${colour}` }, text); }

export function card(title, ...body) {
  return h("section", { class: "card" }, title ? h("h2", {}, title) : null, ...body);
}

export function empty(key = "common.empty") { return h("div", { class: "empty" }, t(key)); }

/** A table: columns [{key: catalogue key, cell: row => node|string}], rows, optional onclick. */
export function table(columns, rows, onRow) {
  if (!rows.length) return empty();
  return h("table", {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, t(c.key))))),
    h("tbody", {}, rows.map((row) => h("tr", {
      class: onRow ? "clickable" : "", onclick: onRow ? () => onRow(row) : null,
    }, columns.map((c) => h("td", {}, c.cell(row)))))));
}

export function field(labelKey, input) { return h("label", {}, t(labelKey), input); }

export function select(name, options, value) {
  return h("select", { name }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
}

/** A form that posts through submit(values); shows the refusal's message (problem detail). */
export function form(children, submitKey, submit, { stack = false } = {}) {
  const error = h("div", { class: "error", role: "alert" });
  const button = h("button", { class: "primary", type: "submit" }, t(submitKey));
  const el = h("form", { class: stack ? "form stack" : "form" }, children, h("div", {}, button), error);
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    button.disabled = true;
    try {
      await submit(values(el), el);
    } catch (exc) {
      error.textContent = exc.message || String(exc);
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

/** The named controls of a form as a plain object (checkboxes as booleans, empty as absent). */
export function values(formEl) {
  const out = {};
  for (const control of formEl.elements) {
    if (!control.name) continue;
    if (control.type === "checkbox") out[control.name] = control.checked;
    else if (control.value !== "") out[control.name] = control.value;
  }
  return out;
}

/** Replace root's children, skipping the absent ones (null, false, undefined). */
export function fill(root, ...children) {
  root.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}
