// One job: details, the timeline of its states, its output followed live, and what its owner
// may do to it (cancel, hold, release, requeue).

import { ApiError, call, send, session, slurm } from "../api.js";
import { EventFeed, seenEvents } from "../events.js";
import {
  announce, debounce, fill, formatMemory, formatMinutes, formatTime, h, isoTime, num, stateBadge, stateOf,
} from "../ui.js";

/** Bytes of output kept on the page: the tail of a big file. */
const KEEP_BYTES = 256 * 1024;
const FINISHED = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE"];

export async function renderJob(main, id) {
  const jobId = Number(id);
  const title = h("h1", {}, `Job ${jobId}`);
  const badge = h("span", {});
  const notice = h("p", { class: "notice error", role: "alert" });
  const result = h("p", { class: "notice", role: "status", tabindex: "-1" });
  const toolbar = h("div", { class: "actions", role: "group", "aria-label": "Job actions" });
  const details = h("dl", { class: "details" });
  const timeline = h("ol", { class: "timeline", "aria-label": "State timeline" });
  const output = outputPanel(jobId);
  main.replaceChildren(
    h("div", { class: "actions" }, title, badge),
    notice, toolbar, result,
    h("section", { class: "panel", "aria-labelledby": "details-title" }, h("h2", { id: "details-title" }, "Details"), details),
    h("section", { class: "panel", "aria-labelledby": "timeline-title" }, h("h2", { id: "timeline-title" }, "Timeline"), timeline),
    output.element,
  );

  let job = null;

  async function load() {
    try {
      const answer = await call(slurm(`job/${jobId}`));
      const jobs = answer.jobs || [];
      job = jobs.find((j) => j.job_id === jobId) || jobs[0] || null;
      if (!job) throw new ApiError(404, [], `Job ${jobId} not found`);
      notice.textContent = "";
      draw();
      output.update(job);
    } catch (error) {
      notice.textContent = error.status === 404 || /not found|invalid job id/i.test(error.message)
        ? `Job ${jobId} is not known to the cluster (it may have ended long ago: see History).`
        : `Cannot read job ${jobId}: ${error.message}`;
    }
  }

  function draw() {
    const state = stateOf(job.job_state);
    title.textContent = `Job ${jobId}${job.name ? ` · ${job.name}` : ""}`;
    fill(badge, stateBadge(state));
    const focused = toolbar.contains(document.activeElement) ? document.activeElement.textContent : null;
    fill(toolbar, actions(job, state));
    if (focused) keepFocus(focused);
    fill(details, describe(job, state));
    fill(timeline, steps(job, state, seenEvents(jobId)));
  }

  /** The toolbar is drawn anew: the keyboard stays on the button used, or on its opposite
   * (Hold and Release), or else on the result. */
  function keepFocus(label) {
    const buttons = [...toolbar.querySelectorAll("button")].filter((b) => !b.disabled);
    const opposite = { Hold: "Release", Release: "Hold" }[label];
    const next = buttons.find((b) => b.textContent === label) || buttons.find((b) => b.textContent === opposite);
    (next || result).focus();
  }

  async function act(label, path, options) {
    result.textContent = "";
    notice.textContent = "";
    try {
      await call(path, { ...options, strict: true });
      result.textContent = `${label}: done.`;
      announce(`Job ${jobId}: ${label.toLowerCase()} done`);
      await load();
    } catch (error) {
      notice.textContent = `${label} refused: ${error.message}`;
    }
  }

  function actions(job, state) {
    const base = state.split("+")[0];
    const held = base === "PENDING" && (job.hold || /JobHeld/.test(job.state_reason || ""));
    const finished = FINISHED.includes(base);
    const button = (label, enabled, onclick, danger) =>
      h("button", { type: "button", class: danger ? "danger" : null, disabled: !enabled, onclick }, label);
    const requeueServed = session.version >= "v0.0.45";
    return [
      button("Cancel", !finished, () => {
        if (window.confirm(`Cancel job ${jobId}?`)) act("Cancel", slurm(`job/${jobId}`), { method: "DELETE" });
      }, true),
      button("Hold", base === "PENDING" && !held, () => act("Hold", slurm(`job/${jobId}`), { method: "POST", body: { hold: true } })),
      button("Release", held, () => act("Release", slurm(`job/${jobId}`), { method: "POST", body: { hold: false } })),
      requeueServed ? button("Requeue", ["RUNNING", "SUSPENDED", "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL"].includes(base), () => {
        if (window.confirm(`Requeue job ${jobId}? It will run again from the start.`)) act("Requeue", slurm(`job/${jobId}/requeue`), {});
      }) : null,
    ];
  }

  const reload = debounce(load, 200);
  const feed = new EventFeed({ types: "job", job_ids: String(jobId) }, {
    onGap: reload,
    onEvent(type, event) {
      if (event.job_id !== jobId) return; // another task of the same array
      announce(`Job ${jobId}: ${type.slice(4).replace(/_/g, " ")}`);
      reload();
    },
  }).start();
  await load();
  return () => {
    feed.stop();
    reload.cancel();
    output.stop();
  };
}

function describe(job, state) {
  const row = (label, value, wide = false) => (value === "" || value === null || value === undefined
    ? null
    : h("div", { class: wide ? "wide" : null }, h("dt", {}, label), h("dd", {}, value)));
  const exit = job.exit_code && FINISHED.includes(state.split("+")[0]) ? exitText(job.exit_code) : "";
  const limit = num(job.time_limit);
  const memoryPerNode = num(job.memory_per_node);
  const memoryPerCpu = num(job.memory_per_cpu);
  return [
    row("User", job.user_name),
    row("Account", job.account),
    row("Partition", job.partition),
    row("QOS", job.qos),
    row("Reason", job.state_reason && job.state_reason !== "None" ? job.state_reason : ""),
    row("Nodes", job.nodes),
    row("CPUs", num(job.cpus)),
    row("CPUs per task", num(job.cpus_per_task)),
    row("Memory", memoryPerNode ? `${formatMemory(memoryPerNode)} per node` : memoryPerCpu ? `${formatMemory(memoryPerCpu)} per CPU` : ""),
    row("Time limit", limit === null ? "" : formatMinutes(limit)),
    row("Array", job.array_task_string || (num(job.array_task_id) !== null ? `task ${num(job.array_task_id)} of ${num(job.array_job_id)}` : "")),
    row("Dependency", job.dependency),
    row("Submitted", formatTime(num(job.submit_time))),
    row("Started", formatTime(num(job.start_time))),
    row("Ended", FINISHED.includes(state.split("+")[0]) ? formatTime(num(job.end_time)) : ""),
    row("Exit code", exit),
    row("Working directory", job.current_working_directory, true),
    row("Standard output", job.stdout_expanded || job.standard_output, true),
    row("Standard error", job.stderr_expanded || job.standard_error, true),
  ];
}

function exitText(code) {
  const returned = num(code.return_code);
  const signal = code.signal && num(code.signal.id);
  if (signal) return `signal ${code.signal.name || signal}`;
  return returned === null ? "" : String(returned);
}

/** The job's life: from its record's times, completed by the events this tab has seen. */
function steps(job, state, seen) {
  const found = [];
  const submit = num(job.submit_time);
  const start = num(job.start_time);
  const end = num(job.end_time);
  const base = state.split("+")[0];
  if (submit) found.push({ type: "submitted", time: submit });
  for (const event of seen) {
    if (["submitted", "started"].includes(event.type) || FINISHED.map((s) => s.toLowerCase()).includes(event.type)) continue;
    found.push({ type: event.type, time: event.time, reason: event.type === "pending_reason" ? event.reason : "" });
  }
  if (start && (base !== "PENDING" || num(job.restart_cnt))) found.push({ type: "started", time: start });
  if (FINISHED.includes(base) && end) found.push({ type: base.toLowerCase(), time: end });
  else found.push({ type: `now ${base.toLowerCase()}`, time: null, reason: job.state_reason !== "None" ? job.state_reason : "" });
  found.sort((a, b) => (a.time ?? Infinity) - (b.time ?? Infinity));
  return found.map((step) => h("li", {},
    step.time ? h("time", { datetime: isoTime(step.time) }, formatTime(step.time)) : null,
    step.type.replace(/_/g, " "),
    step.reason ? ` (${step.reason})` : "",
  ));
}

/** Standard output and error: the tail of each file, then followed while the job runs. */
function outputPanel(jobId) {
  const pre = h("pre", { class: "output code", id: "output-panel", role: "tabpanel", tabindex: "0", "aria-label": "Job output" });
  const status = h("p", { class: "output-status", role: "status" }, "");
  const follow = h("input", { type: "checkbox", id: "follow-output", checked: true });
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "Output stream" });
  const element = h("section", { class: "panel", "aria-labelledby": "output-title" },
    h("div", { class: "actions" },
      h("h2", { id: "output-title" }, "Output"),
      h("label", { class: "choices" }, follow, "Follow"),
    ),
    tabs, status, pre,
  );
  let stream = "stdout";
  let reader = null;
  let job = null;
  let started = false;
  let text = "";
  let ended = false;

  function show(more) {
    text += more;
    if (text.length > KEEP_BYTES) text = text.slice(text.length - KEEP_BYTES);
    pre.textContent = text;
    if (follow.checked) pre.scrollTop = pre.scrollHeight;
  }

  function choose(name) {
    if (reader) reader.abort();
    stream = name;
    text = "";
    pre.textContent = "";
    started = false;
    ended = false;
    drawTabs();
    if (job) update(job);
  }

  function drawTabs() {
    const separate = job && (job.stderr_expanded || job.standard_error) && (job.stderr_expanded || job.standard_error) !== (job.stdout_expanded || job.standard_output);
    const names = separate ? [["stdout", "Standard output"], ["stderr", "Standard error"]] : [["stdout", "Output (standard output and error)"]];
    fill(tabs, names.map(([name, label]) => h("button", {
      type: "button", role: "tab", "aria-selected": String(stream === name), "aria-controls": "output-panel",
      tabindex: stream === name ? "0" : "-1",
      onclick: () => choose(name),
      onkeydown: (event) => {
        if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
          const other = names.find(([n]) => n !== stream);
          if (other) { choose(other[0]); tabs.querySelector("[aria-selected=true]").focus(); }
        }
      },
    }, label)));
  }

  async function update(record) {
    const first = job === null;
    job = record;
    if (first) drawTabs();
    if (started || ended) return;
    const base = stateOf(job.job_state).split("+")[0];
    if (base === "PENDING" && !num(job.start_time)) {
      status.textContent = "The job has not started: its output will show here once it runs.";
      return;
    }
    started = true;
    reader = new AbortController();
    try {
      await tail(reader.signal);
    } catch (error) {
      if (error.name !== "AbortError") status.textContent = `Cannot read the output: ${error.message}`;
    } finally {
      started = false;
    }
  }

  async function tail(signal) {
    const path = `/slurmgate/v1/job/${jobId}/output?stream=${stream}`;
    status.textContent = "Reading…";
    const page = await send(path, { headers: { Range: `bytes=-${KEEP_BYTES}` }, signal });
    let offset = 0;
    if (page.status === 206 || page.status === 200) {
      const range = /\/(\d+)$/.exec(page.headers.get("Content-Range") || "");
      offset = range ? Number(range[1]) : Number(page.headers.get("X-Slurmgate-Next-Offset") || 0);
      show(await page.text());
      if (page.headers.get("X-Slurmgate-Output-Complete") === "true") {
        ended = true;
        status.textContent = "Complete: the job has ended.";
        return;
      }
    } else if (page.status !== 416) { // 416: an empty file so far
      const answer = await page.json().catch(() => ({}));
      const why = (answer.errors || []).map((e) => e.description).join("; ") || `answer ${page.status}`;
      status.textContent = page.status === 409 ? "The job has not started yet." : `No output: ${why}`;
      if (page.status !== 409) ended = true;
      return;
    }
    status.textContent = "Following the output while the job runs…";
    const followed = await send(`${path}&follow=true&offset=${offset}`, { signal });
    if (!followed.ok || !followed.body) {
      status.textContent = `Cannot follow the output (answer ${followed.status}).`;
      return;
    }
    const chunks = followed.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await chunks.read();
      if (done) break;
      show(value);
    }
    ended = true;
    status.textContent = "Complete: the job has ended.";
  }

  return {
    element,
    update,
    stop() {
      if (reader) reader.abort();
    },
  };
}
