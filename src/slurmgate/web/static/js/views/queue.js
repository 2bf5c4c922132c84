// The queue: my jobs or every job I may see, filtered by state, partition and user, kept up to
// date by the event stream.

import { call, session, slurm } from "../api.js";
import { EventFeed } from "../events.js";
import { announce, cell, debounce, fill, formatDuration, formatTime, h, num, stateBadge, stateOf, table } from "../ui.js";

const STATES = ["PENDING", "RUNNING", "SUSPENDED", "COMPLETING", "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED"];
const COLUMNS = [
  { label: "Job" },
  { label: "Name" },
  { label: "User" },
  { label: "Partition" },
  { label: "State" },
  { label: "Reason" },
  { label: "Time", num: true },
  { label: "Nodes" },
];
/** What the filters were last set to, kept for the tab (not secret). */
const FILTERS_KEY = "slurmgate.queue";

function saved() {
  try {
    return { scope: "mine", state: "", partition: "", user: "", ...JSON.parse(sessionStorage.getItem(FILTERS_KEY) || "{}") };
  } catch {
    return { scope: "mine", state: "", partition: "", user: "" };
  }
}

export function renderQueue(main) {
  const filters = saved();
  const me = session.user;
  const live = h("span", { class: "live", "data-state": "connecting" }, "Connecting…");
  const notice = h("p", { class: "notice error", role: "alert" });
  const body = h("div", {}, h("p", {}, "Loading…"));
  const scope = (value, label) => h("label", {},
    h("input", { type: "radio", name: "scope", value, checked: filters.scope === value }), label);
  const state = h("select", { id: "filter-state" },
    h("option", { value: "" }, "Any state"), STATES.map((s) => h("option", { value: s, selected: filters.state === s }, s)));
  const partition = h("select", { id: "filter-partition" }, h("option", { value: "" }, "Any partition"));
  const user = h("input", { type: "text", id: "filter-user", value: filters.user, placeholder: "user name", autocomplete: "off" });
  const form = h("form", { class: "panel filters", role: "search", "aria-label": "Filter the queue" },
    h("fieldset", {}, h("legend", {}, "Jobs"), h("div", { class: "choices" }, scope("mine", me ? `Mine (${me})` : "Mine"), scope("all", "All I may see"))),
    h("div", { class: "field" }, h("label", { for: "filter-state" }, "State"), state),
    h("div", { class: "field" }, h("label", { for: "filter-partition" }, "Partition"), partition),
    h("div", { class: "field" }, h("label", { for: "filter-user" }, "User"), user),
  );
  form.addEventListener("submit", (event) => event.preventDefault());
  main.replaceChildren(
    h("div", { class: "actions" }, h("h1", {}, "Queue"), live),
    form, notice, body,
  );

  const rows = new Map();
  let controller = null;

  function current() {
    const chosen = form.querySelector("input[name=scope]:checked");
    return { scope: chosen ? chosen.value : "mine", state: state.value, partition: partition.value, user: user.value.trim() };
  }

  function query() {
    const f = current();
    const params = new URLSearchParams();
    const users = f.scope === "mine" && me ? me : f.user;
    if (users) params.set("users", users);
    if (f.state) params.set("states", f.state);
    if (f.partition) params.set("partitions", f.partition);
    user.disabled = f.scope === "mine" && Boolean(me);
    return params.toString();
  }

  async function load() {
    if (controller) controller.abort();
    controller = new AbortController();
    sessionStorage.setItem(FILTERS_KEY, JSON.stringify(current()));
    const q = query();
    try {
      const answer = await call(slurm(`jobs${q ? `?${q}` : ""}`), { signal: controller.signal });
      notice.textContent = "";
      show(answer.jobs || []);
    } catch (error) {
      if (error.name === "AbortError") return;
      notice.textContent = `Cannot read the queue: ${error.message}`;
    }
  }

  function show(jobs) {
    jobs.sort((a, b) => b.job_id - a.job_id);
    // The table is drawn anew: a keyboard user's place in it is kept.
    const active = body.contains(document.activeElement) ? document.activeElement.closest("tr") : null;
    const focusedJob = active ? Number(active.dataset.jobId) : null;
    rows.clear();
    if (!jobs.length) {
      fill(body, h("p", { class: "notice" }, "No job matches these filters."));
      return;
    }
    const made = jobs.map((job) => {
      const row = jobRow(job);
      rows.set(job.job_id, row);
      return row;
    });
    fill(body, table(COLUMNS, made, `${jobs.length} job${jobs.length === 1 ? "" : "s"}`));
    const again = focusedJob !== null ? rows.get(focusedJob) : null;
    if (again) again.querySelector("a").focus();
  }

  const reload = debounce(load, 300);
  for (const control of [state, partition, user, ...form.querySelectorAll("input[name=scope]")]) {
    control.addEventListener(control === user ? "input" : "change", reload);
  }

  const feed = new EventFeed({ types: "job" }, {
    onStatus(status) {
      live.dataset.state = status;
      live.textContent = { connecting: "Connecting…", live: "Live", retrying: "Reconnecting…" }[status];
    },
    onGap: reload,
    onEvent(type, event) {
      const row = rows.get(event.job_id);
      if (row) {
        const badge = row.querySelector(".state");
        if (badge) badge.replaceWith(stateBadge(event.state));
        row.classList.remove("changed");
        void row.offsetWidth; // restart the highlight
        row.classList.add("changed");
        announce(`Job ${event.job_id} (${event.name}): ${type.slice(4).replace(/_/g, " ")}`);
      }
      reload();
    },
  }).start();

  loadPartitions(partition, filters.partition);
  load();
  return () => {
    feed.stop();
    reload.cancel();
    if (controller) controller.abort();
  };
}

async function loadPartitions(select, chosen) {
  try {
    const answer = await call(slurm("partitions"));
    for (const p of answer.partitions || []) {
      select.append(h("option", { value: p.name, selected: p.name === chosen }, p.name));
    }
  } catch {
    // The queue still works without the list: the filter offers "any partition" only.
  }
}

function jobRow(job) {
  const state = stateOf(job.job_state);
  const start = num(job.start_time);
  const end = num(job.end_time);
  const now = Date.now() / 1000;
  let used = "";
  if (start && state.startsWith("RUNNING")) used = formatDuration(now - start);
  else if (start && end && end >= start) used = formatDuration(end - start);
  const task = num(job.array_task_id);
  // As squeue names them: an array's task 1234_5, its tasks still pending together 1234_[6-9].
  let id = String(job.job_id);
  if (task !== null && num(job.array_job_id)) id = `${num(job.array_job_id)}_${task}`;
  else if (job.array_task_string) id = `${job.job_id}_[${job.array_task_string}]`;
  return h("tr", { "data-job-id": job.job_id },
    cell(COLUMNS[0], h("a", { href: `#/job/${job.job_id}` }, id)),
    cell(COLUMNS[1], job.name || ""),
    cell(COLUMNS[2], job.user_name || ""),
    cell(COLUMNS[3], job.partition || ""),
    cell(COLUMNS[4], stateBadge(state)),
    cell(COLUMNS[5], job.state_reason && job.state_reason !== "None" ? job.state_reason : ""),
    cell(COLUMNS[6], used ? h("span", { title: `submitted ${formatTime(num(job.submit_time))}` }, used) : ""),
    cell(COLUMNS[7], job.nodes || ""),
  );
}
