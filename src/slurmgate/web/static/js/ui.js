// DOM helpers and formatting shared by the views. Text is always set as text, never as HTML.

/** An element: h("a", {href: "#/x", class: "y"}, "text", child, ...). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      element.className = value;
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** Replace everything inside ``element`` with ``children``. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** Tell screen-reader users about an update (the page's one polite live region). */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A change of text after a tick is announced even when the same message repeats.
  setTimeout(() => { region.textContent = message; }, 50);
}

/** A form field: label, control, hint and an error slot tied to the control. */
export function field(id, label, control, hint) {
  control.id = id;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  control.setAttribute("aria-describedby", hint ? `${hintId} ${errorId}` : errorId);
  return h("div", { class: "field", "data-field": id },
    h("label", { for: id }, label),
    control,
    hint ? h("span", { class: "hint", id: hintId }, hint) : null,
    h("span", { class: "error", id: errorId }),
  );
}

/** Show (or clear, with "") the error of the field whose control has ``id``. */
export function setFieldError(id, message) {
  const control = document.getElementById(id);
  const slot = document.getElementById(`${id}-error`);
  if (!control || !slot) return false;
  slot.textContent = message;
  if (message) control.setAttribute("aria-invalid", "true");
  else control.removeAttribute("aria-invalid");
  return true;
}

export function stateBadge(state) {
  const name = String(state || "UNKNOWN");
  const base = name.split(/[+ ]/)[0];
  return h("span", { class: `state state-${base}` }, name);
}

/** A Slurm "no value" number ({set, infinite, number}) or a plain number, as a number or null. */
export function num(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value;
  if (typeof value === "object") {
    if (value.infinite) return Infinity;
    if (value.set === false) return null;
    return typeof value.number === "number" ? value.number : null;
  }
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

/** The first of a Slurm list of states (["RUNNING", "COMPLETING"] -> "RUNNING+COMPLETING"). */
export function stateOf(value) {
  if (Array.isArray(value)) return value.join("+") || "UNKNOWN";
  return String(value || "UNKNOWN");
}

export function formatTime(seconds) {
  if (!seconds) return "";
  const date = new Date(seconds * 1000);
  const now = new Date();
  const sameDay = date.toDateString() === now.toDateString();
  return sameDay ? date.toLocaleTimeString() : date.toLocaleString();
}

export function isoTime(seconds) {
  return seconds ? new Date(seconds * 1000).toISOString() : "";
}

/** Seconds as Slurm prints a duration: [D-]HH:MM:SS. */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || seconds < 0) return "";
  if (seconds === Infinity) return "UNLIMITED";
  const s = Math.floor(seconds);
  const days = Math.floor(s / 86400);
  const hh = String(Math.floor((s % 86400) / 3600)).padStart(2, "0");
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return `${days ? `${days}-` : ""}${hh}:${mm}:${ss}`;
}

export function formatMinutes(minutes) {
  if (minutes === null) return "";
  if (minutes === Infinity) return "UNLIMITED";
  return formatDuration(minutes * 60);
}

/** MiB as a short size: 512M, 4G, 1.5T. */
export function formatMemory(mib) {
  if (mib === null || mib === undefined) return "";
  if (mib === Infinity) return "UNLIMITED";
  if (mib >= 1024 * 1024) return `${+(mib / 1024 / 1024).toFixed(1)}T`;
  if (mib >= 1024) return `${+(mib / 1024).toFixed(1)}G`;
  return `${mib}M`;
}

/** Run ``task`` at most once per ``ms``: the last call within the window wins. */
export function debounce(task, ms) {
  let timer = null;
  const run = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; task(...args); }, ms);
  };
  run.cancel = () => clearTimeout(timer);
  return run;
}

/** A table whose rows become labelled cards on narrow screens. */
export function table(columns, rows, caption) {
  return h("div", { class: "table-wrap" },
    h("table", { class: "cards" },
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
      h("tbody", {}, rows),
    ),
  );
}

export function cell(column, ...content) {
  return h("td", { "data-label": column.label, class: column.num ? "num" : null }, ...content);
}
