// Accounting history: finished and current jobs as the accounting database records them
// (GET /slurmdb/v0.0.44/jobs). A gateway without accounting answers 404: said plainly.

import { call, session, slurmdb } from "../api.js";
import { cell, fill, formatDuration, formatTime, h, num, stateBadge, stateOf, table } from "../ui.js";

const COLUMNS = [
  { label: "Job" }, { label: "Name" }, { label: "User" }, { label: "Account" }, { label: "Partition" },
  { label: "State" }, { label: "Submitted" }, { label: "Started" }, { label: "Ended" }, { label: "Elapsed", num: true },
  { label: "Exit code", num: true },
];
const DAY = 86400;

export function renderHistory(main) {
  const me = session.user;
  const days = h("select", { id: "history-days" },
    [1, 7, 30, 90].map((d) => h("option", { value: d, selected: d === 7 }, d === 1 ? "Last day" : `Last ${d} days`)));
  const mine = h("input", { type: "checkbox", id: "history-mine", checked: Boolean(me), disabled: !me });
  const form = h("form", { class: "panel filters", role: "search", "aria-label": "Filter the history" },
    h("div", { class: "field" }, h("label", { for: "history-days" }, "Period"), days),
    h("div", { class: "field" }, h("label", { class: "choices" }, mine, me ? `Only mine (${me})` : "Only mine")),
  );
  form.addEventListener("submit", (event) => event.preventDefault());
  const body = h("div", { "aria-live": "polite" }, h("p", {}, "Loading…"));
  main.replaceChildren(h("h1", {}, "History"), form, body);
  let controller = null;

  async function load() {
    if (controller) controller.abort();
    controller = new AbortController();
    const params = new URLSearchParams({ start_time: String(Math.floor(Date.now() / 1000) - Number(days.value) * DAY) });
    if (mine.checked && me) params.set("users", me);
    const path = slurmdb(`jobs?${params}`);
    try {
      const answer = await call(path, { signal: controller.signal });
      const jobs = (answer.jobs || []).sort((a, b) => b.job_id - a.job_id);
      fill(body, jobs.length
        ? table(COLUMNS, jobs.map(historyRow), `${jobs.length} job${jobs.length === 1 ? "" : "s"} recorded`)
        : h("p", { class: "notice" }, "No job recorded in this period."));
    } catch (error) {
      if (error.name === "AbortError") return;
      fill(body, unavailable(error, path));
    }
  }

  days.addEventListener("change", load);
  mine.addEventListener("change", load);
  load();
  return () => {
    if (controller) controller.abort();
  };
}

function unavailable(error, path) {
  if (error.status === 404) {
    return h("div", { class: "notice", role: "status" },
      h("p", {}, h("strong", {}, "Accounting history is not available from this gateway."),
        ` It answered 404 Not Found for ${path.split("?")[0]}: it serves no accounting (slurmdb) API yet.`),
      h("p", {}, "The queue shows current jobs and those that ended recently."));
  }
  if (error.status === 501) {
    return h("div", { class: "notice", role: "status" },
      h("p", {}, h("strong", {}, "This cluster keeps no accounting history. "), error.message));
  }
  return h("p", { class: "notice error", role: "alert" }, `Cannot read the history: ${error.message}`);
}

function historyRow(job) {
  const time = job.time || {};
  const state = stateOf(job.state ? job.state.current : job.job_state);
  const exit = job.exit_code ? num(job.exit_code.return_code) : null;
  // An array's task by its array's id, as sacct prints it (1234_5).
  const task = job.array ? num(job.array.task_id) : null;
  const id = task !== null && job.array.job_id ? `${job.array.job_id}_${task}` : String(job.job_id);
  return h("tr", { "data-job-id": job.job_id },
    cell(COLUMNS[0], id),
    cell(COLUMNS[1], job.name || ""),
    cell(COLUMNS[2], job.user || ""),
    cell(COLUMNS[3], job.account || ""),
    cell(COLUMNS[4], job.partition || ""),
    cell(COLUMNS[5], stateBadge(state)),
    cell(COLUMNS[6], formatTime(num(time.submission))),
    cell(COLUMNS[7], formatTime(num(time.start))),
    cell(COLUMNS[8], formatTime(num(time.end))),
    cell(COLUMNS[9], time.elapsed !== undefined ? formatDuration(num(time.elapsed)) : ""),
    cell(COLUMNS[10], exit === null ? "" : String(exit)),
  );
}
