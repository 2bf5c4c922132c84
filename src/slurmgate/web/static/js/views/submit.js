// Submitting a batch job: a script editor that shows what its #SBATCH lines set, the common
// fields, and the gateway's refusal shown beside the field it names.

import { call, slurm } from "../api.js";
import { announce, debounce, field, fill, h, setFieldError, table, cell } from "../ui.js";
import { directiveValues, parseDirectives, parseMemory, parseTimeLimit } from "../sbatch.js";

const EXAMPLE = `#!/bin/bash
#SBATCH --job-name=hello
#SBATCH --time=00:05:00
#SBATCH --cpus-per-task=1

echo "Hello from $(hostname)"
`;
/** The draft script, kept for the tab so that a reload loses nothing. */
const DRAFT_KEY = "slurmgate.draft";

/** The form's fields: id suffix, label, hint, the #SBATCH key that fills it. */
const FIELDS = [
  ["name", "Job name", "", "name"],
  ["partition", "Partition", "", "partition"],
  ["cpus", "CPUs per task", "A whole number.", "cpus"],
  ["memory", "Memory per node", "MiB, or with a unit: 512M, 4G.", "memory"],
  ["time", "Time limit", "Minutes, or [D-]HH:MM:SS, e.g. 30, 1:00:00, 2-00:00:00.", "time"],
  ["array", "Array", "Task ids: 0-9, 1,3,5 or 1-99%4 (at most 4 at once).", "array"],
  ["dependency", "Dependency", "e.g. afterok:123 or afterany:123:124.", "dependency"],
  ["workdir", "Working directory", "Where the job runs and writes its output; by default your home directory.", "workdir"],
];
/** Where each key of the job description the gateway names in an error is shown. */
const SOURCES = {
  name: "name", partition: "partition", cpus_per_task: "cpus", memory_per_node: "memory", memory_per_cpu: "memory",
  time_limit: "time", array: "array", dependency: "dependency", current_working_directory: "workdir", script: "script",
};
/** Where an error the gateway gives no source for is shown, by Slurm's error number. */
const NUMBERS = { 2000: "partition", 2014: "cpus", 2038: "dependency", 2051: "time", 2081: "array", 2017: "memory" };

export function renderSubmit(main) {
  const script = h("textarea", { class: "code", name: "script", spellcheck: "false", autocomplete: "off", rows: "16" });
  script.value = sessionStorage.getItem(DRAFT_KEY) || EXAMPLE;
  const controls = {};
  const partition = h("select", { name: "partition" }, h("option", { value: "" }, "The default partition"));
  const inputs = FIELDS.map(([id, label, hint]) => {
    const control = id === "partition" ? partition : h("input", { type: "text", name: id, autocomplete: "off", spellcheck: "false" });
    controls[id] = control;
    return field(`submit-${id}`, label, control, hint);
  });
  const directives = h("div", { class: "directives" });
  const general = h("div", { class: "notice error", role: "alert" });
  const button = h("button", { type: "submit" }, "Submit");
  const form = h("form", { novalidate: true, "aria-label": "Submit a batch job" },
    h("div", { class: "submit-grid" },
      h("div", {},
        h("div", { class: "panel" },
          field("submit-script", "Batch script", script, "#SBATCH lines before the first command set the job's options; a field filled in on the right wins."),
          h("h2", { id: "directives-title" }, "What the #SBATCH lines set"),
          directives,
        ),
      ),
      h("div", { class: "panel" }, inputs, h("div", { class: "actions" }, button)),
    ),
  );
  main.replaceChildren(h("h1", {}, "Submit a job"), general, form);

  function showDirectives() {
    const found = parseDirectives(script.value);
    const values = directiveValues(found);
    for (const [id, , , key] of FIELDS) {
      const control = controls[id];
      const from = values[key];
      if (control.tagName === "INPUT") control.placeholder = from !== undefined ? `${from} (from #SBATCH)` : "";
    }
    if (values.partition) {
      partition.options[0].textContent = `${values.partition} (from #SBATCH)`;
    } else {
      partition.options[0].textContent = "The default partition";
    }
    if (!found.length) {
      fill(directives, h("p", { class: "hint" }, "No #SBATCH line: the fields and the cluster's defaults decide."));
      return;
    }
    const columns = [{ label: "Line" }, { label: "Option" }, { label: "Sets" }, { label: "Value" }];
    const overridden = (entry) => {
      const id = FIELDS.find((f) => f[3] === entry.key);
      return id && controls[id[0]].value.trim() ? "the field on the right wins" : "";
    };
    fill(directives, table(columns, found.map((entry) => {
      const why = entry.ignored || overridden(entry);
      return h("tr", {},
        cell(columns[0], String(entry.line)),
        cell(columns[1], h("code", {}, entry.option)),
        cell(columns[2], entry.label || "—"),
        h("td", { "data-label": "Value", class: why ? "ignored" : null }, String(entry.value), why ? ` (${why})` : ""));
    }), "Options read from the script"));
  }

  const refresh = debounce(() => {
    sessionStorage.setItem(DRAFT_KEY, script.value);
    showDirectives();
  }, 150);
  script.addEventListener("input", refresh);
  for (const control of Object.values(controls)) control.addEventListener("input", refresh);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    button.disabled = true;
    try {
      const answer = await call(slurm("job/submit"), { method: "POST", body: { job: description() }, strict: true });
      sessionStorage.removeItem(DRAFT_KEY);
      announce(`Job ${answer.job_id} submitted`);
      location.hash = `#/job/${answer.job_id}`;
    } catch (error) {
      showErrors(error);
    } finally {
      button.disabled = false;
    }
  });

  function description() {
    const values = directiveValues(parseDirectives(script.value));
    const take = (id, key) => controls[id].value.trim() || (values[key] !== undefined ? String(values[key]) : "");
    const job = { script: script.value };
    const name = take("name", "name");
    if (name) job.name = name;
    const part = take("partition", "partition");
    if (part) job.partition = part;
    const cpus = take("cpus", "cpus");
    if (cpus) job.cpus_per_task = /^\d+$/.test(cpus) ? Number(cpus) : cpus;
    const memory = take("memory", "memory");
    if (memory) job.memory_per_node = parseMemory(memory) ?? memory;
    if (values.memory_per_cpu && !memory) job.memory_per_cpu = parseMemory(values.memory_per_cpu) ?? values.memory_per_cpu;
    const time = take("time", "time");
    if (time) {
      const minutes = parseTimeLimit(time);
      // What the page cannot read is sent as written: the gateway says what is wrong with it.
      job.time_limit = minutes === null ? time : minutes === Infinity ? { set: true, infinite: true, number: 0 } : minutes;
    }
    const array = take("array", "array");
    if (array) job.array = array;
    const dependency = take("dependency", "dependency");
    if (dependency) job.dependency = dependency;
    const workdir = take("workdir", "workdir");
    if (workdir) job.current_working_directory = workdir;
    for (const key of ["standard_output", "standard_error", "account", "qos", "comment", "nodes"]) {
      if (values[key]) job[key] = String(values[key]);
    }
    if (values.tasks) job.tasks = /^\d+$/.test(values.tasks) ? Number(values.tasks) : values.tasks;
    if (values.nice !== undefined) job.nice = Number(values.nice) || 0;
    if (values.hold) job.hold = true;
    if (values.requeue !== undefined) job.requeue = values.requeue;
    return job;
  }

  function clearErrors() {
    general.textContent = "";
    for (const id of ["script", ...FIELDS.map((f) => f[0])]) setFieldError(`submit-${id}`, "");
  }

  function showErrors(error) {
    const unplaced = [];
    let first = null;
    for (const e of error.errors.length ? error.errors : [{ description: error.message }]) {
      const where = placeOf(e);
      const text = e.description || e.error || error.message;
      if (where && setFieldError(`submit-${where}`, text)) first = first || where;
      else unplaced.push(text);
    }
    general.textContent = unplaced.length ? `The gateway refused the job: ${unplaced.join("; ")}` : "";
    announce(`The job was not submitted: ${error.message}`);
    if (first) document.getElementById(`submit-${first}`).focus();
  }

  loadPartitions(partition);
  showDirectives();
  return () => refresh.cancel();
}

/** The field an error is about: its source (#/job/time_limit/), else its number or words. */
function placeOf(error) {
  const source = /^#\/jobs?\/(?:\d+\/)?([a-z_]+)/.exec(error.source || "") || /^jobs?(?:\[\d+\])?\.([a-z_]+)/.exec(error.source || "");
  if (source && SOURCES[source[1]]) return SOURCES[source[1]];
  if (NUMBERS[error.error_number]) return NUMBERS[error.error_number];
  const text = `${error.error || ""} ${error.description || ""}`;
  if (/partition/i.test(text)) return "partition";
  if (/time limit/i.test(text)) return "time";
  if (/array/i.test(text)) return "array";
  if (/dependenc/i.test(text)) return "dependency";
  return null;
}

async function loadPartitions(select) {
  try {
    const answer = await call(slurm("partitions"));
    for (const p of answer.partitions || []) {
      const isDefault = (p.flags || []).includes("DEFAULT");
      select.append(h("option", { value: p.name }, isDefault ? `${p.name} (default)` : p.name));
    }
  } catch {
    // Without the list, the default partition is still there.
  }
}
