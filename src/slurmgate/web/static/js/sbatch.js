// What a batch script's #SBATCH lines ask for, read as sbatch reads them: from the lines
// before the first command. The REST API reads no #SBATCH line (slurmrestd does not either),
// so the page turns them into the submission's fields; a field filled in the form wins, as
// an option on sbatch's command line does.

/** sbatch options the page understands: option names -> the form field (or job key) they set. */
const OPTIONS = [
  { names: ["-J", "--job-name"], key: "name", label: "Job name" },
  { names: ["-p", "--partition"], key: "partition", label: "Partition" },
  { names: ["-c", "--cpus-per-task"], key: "cpus", label: "CPUs per task" },
  { names: ["--mem"], key: "memory", label: "Memory per node" },
  { names: ["--mem-per-cpu"], key: "memory_per_cpu", label: "Memory per CPU" },
  { names: ["-t", "--time"], key: "time", label: "Time limit" },
  { names: ["-a", "--array"], key: "array", label: "Array" },
  { names: ["-d", "--dependency"], key: "dependency", label: "Dependency" },
  { names: ["-D", "--chdir"], key: "workdir", label: "Working directory" },
  { names: ["-n", "--ntasks"], key: "tasks", label: "Tasks" },
  { names: ["-N", "--nodes"], key: "nodes", label: "Nodes" },
  { names: ["-o", "--output"], key: "standard_output", label: "Standard output" },
  { names: ["-e", "--error"], key: "standard_error", label: "Standard error" },
  { names: ["-A", "--account"], key: "account", label: "Account" },
  { names: ["-q", "--qos"], key: "qos", label: "QOS" },
  { names: ["--comment"], key: "comment", label: "Comment" },
  { names: ["--nice"], key: "nice", label: "Nice", optional: "0" },
  { names: ["-H", "--hold"], key: "hold", label: "Held", flag: true },
  { names: ["--requeue"], key: "requeue", label: "Requeue", flag: true },
  { names: ["--no-requeue"], key: "requeue", label: "Requeue", flag: true, value: false },
];

const BY_NAME = new Map(OPTIONS.flatMap((option) => option.names.map((name) => [name, option])));

/** Words of an #SBATCH line, with shell-like quotes. */
function words(text) {
  const found = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let match;
  while ((match = pattern.exec(text)) !== null) {
    if (match[3] !== undefined && match[3].startsWith("#")) break; // a comment after the options
    found.push(match[1] ?? match[2] ?? match[3]);
  }
  return found;
}

/**
 * Every #SBATCH line of ``script``: [{line, text, option, key, label, value, ignored}].
 * ``ignored`` says why a line sets nothing (an option the page does not know, a line after
 * the first command). Later lines win over earlier ones, as in sbatch.
 */
export function parseDirectives(script) {
  const found = [];
  let commands = false;
  String(script || "").split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    const directive = /^#SBATCH\s+(.*)$/.exec(line);
    if (!directive) {
      if (!line.startsWith("#")) commands = true;
      return;
    }
    const parts = words(directive[1]);
    for (let i = 0; i < parts.length; i++) {
      let name = parts[i];
      let value;
      const equals = name.indexOf("=");
      if (name.startsWith("--") && equals > 0) {
        value = name.slice(equals + 1);
        name = name.slice(0, equals);
      } else if (/^-[A-Za-z]./.test(name)) {
        value = name.slice(2);
        name = name.slice(0, 2);
      }
      const option = BY_NAME.get(name);
      const entry = { line: index + 1, text: line, option: name, key: null, label: "", value: value ?? "", ignored: "" };
      if (!option) {
        entry.ignored = "not understood by this page";
        if (value === undefined && parts[i + 1] !== undefined && !parts[i + 1].startsWith("-")) entry.value = parts[++i];
      } else {
        entry.key = option.key;
        entry.label = option.label;
        if (option.flag) entry.value = option.value === false ? false : true;
        else if (value === undefined && option.optional !== undefined && (parts[i + 1] === undefined || parts[i + 1].startsWith("-"))) entry.value = option.optional;
        else if (value === undefined) entry.value = parts[++i] ?? "";
      }
      if (commands) entry.ignored = "after the first command: sbatch reads no further";
      found.push(entry);
    }
  });
  return found;
}

/** The values the directives set, by key (the last line naming an option wins). */
export function directiveValues(directives) {
  const values = {};
  for (const entry of directives) {
    if (entry.key && !entry.ignored) values[entry.key] = entry.value;
  }
  return values;
}

/**
 * A time limit in Slurm's formats (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS,
 * "UNLIMITED") as minutes; null when it is none of them (the gateway then says why).
 */
export function parseTimeLimit(text) {
  const value = String(text).trim();
  if (/^(unlimited|infinite)$/i.test(value)) return Infinity;
  let match = /^(\d+)-(\d+)(?::(\d+))?(?::(\d+))?$/.exec(value);
  if (match) {
    const [, d, hh, mm = "0", ss = "0"] = match;
    return Number(d) * 1440 + Number(hh) * 60 + Number(mm) + Math.ceil(Number(ss) / 60);
  }
  match = /^(\d+)(?::(\d+))?(?::(\d+))?$/.exec(value);
  if (!match) return null;
  const [, a, b, c] = match;
  if (c !== undefined) return Number(a) * 60 + Number(b) + Math.ceil(Number(c) / 60);
  if (b !== undefined) return Number(a) + Math.ceil(Number(b) / 60);
  return Number(a);
}

/** A memory size (MiB by default, or with K, M, G, T) as MiB; null when it is not one. */
export function parseMemory(text) {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?)B?$/i.exec(String(text).trim());
  if (!match) return null;
  const factor = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024, "": 1 }[match[2].toUpperCase()];
  return Math.ceil(Number(match[1]) * factor);
}
