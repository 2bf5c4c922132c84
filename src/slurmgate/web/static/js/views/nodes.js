// Nodes and partitions with their use: CPUs allocated and idle, memory, state. Reloaded when
// the event stream tells of a node's change or of a job starting or ending.

import { call, slurm } from "../api.js";
import { EventFeed } from "../events.js";
import { cell, debounce, fill, formatMemory, formatMinutes, h, num, stateBadge, stateOf, table } from "../ui.js";

const PARTITION_COLUMNS = [
  { label: "Partition" }, { label: "State" }, { label: "Nodes" }, { label: "CPUs allocated", num: true },
  { label: "CPUs idle", num: true }, { label: "Memory allocated", num: true }, { label: "Time limit" },
];
const NODE_COLUMNS = [
  { label: "Node" }, { label: "State" }, { label: "CPUs allocated", num: true }, { label: "CPUs idle", num: true },
  { label: "Memory allocated", num: true }, { label: "Partitions" }, { label: "Reason" },
];

export function renderNodes(main) {
  const live = h("span", { class: "live", "data-state": "connecting" }, "Connecting…");
  const notice = h("p", { class: "notice error", role: "alert" });
  const partitions = h("div", {}, h("p", {}, "Loading…"));
  const nodes = h("div", {}, h("p", {}, "Loading…"));
  main.replaceChildren(
    h("div", { class: "actions" }, h("h1", {}, "Nodes and partitions"), live),
    notice,
    h("section", { "aria-labelledby": "partitions-title" }, h("h2", { id: "partitions-title" }, "Partitions"), partitions),
    h("section", { "aria-labelledby": "nodes-title" }, h("h2", { id: "nodes-title" }, "Nodes"), nodes),
  );

  async function load() {
    try {
      const [nodeAnswer, partitionAnswer] = await Promise.all([call(slurm("nodes")), call(slurm("partitions"))]);
      const nodeList = nodeAnswer.nodes || [];
      notice.textContent = "";
      fill(nodes, table(NODE_COLUMNS, nodeList.map(nodeRow), `${nodeList.length} node${nodeList.length === 1 ? "" : "s"}`));
      const byName = new Map(nodeList.map((n) => [n.name, n]));
      fill(partitions, table(PARTITION_COLUMNS, (partitionAnswer.partitions || []).map((p) => partitionRow(p, byName))));
    } catch (error) {
      notice.textContent = `Cannot read the nodes: ${error.message}`;
    }
  }

  const reload = debounce(load, 300);
  const feed = new EventFeed({ types: "node,job.started,job.completing,job.completed,job.failed,job.cancelled,job.timeout" }, {
    onStatus(status) {
      live.dataset.state = status;
      live.textContent = { connecting: "Connecting…", live: "Live", retrying: "Reconnecting…" }[status];
    },
    onGap: reload,
    onEvent: reload,
  }).start();
  load();
  return () => {
    feed.stop();
    reload.cancel();
  };
}

function usage(used, total, what) {
  const share = total ? Math.min(100, Math.round((used / total) * 100)) : 0;
  return [
    `${used} / ${total}`,
    h("div", { class: "bar", role: "img", "aria-label": `${used} of ${total} ${what} allocated (${share}%)` },
      h("span", { "data-share": share })),
  ];
}

function nodeRow(node) {
  const cpus = num(node.cpus) || 0;
  const allocated = num(node.alloc_cpus) || 0;
  const memory = num(node.real_memory) || 0;
  const memoryUsed = num(node.alloc_memory) || 0;
  const row = h("tr", {},
    cell(NODE_COLUMNS[0], node.name),
    cell(NODE_COLUMNS[1], stateBadge(stateOf(node.state))),
    cell(NODE_COLUMNS[2], usage(allocated, cpus, "CPUs")),
    cell(NODE_COLUMNS[3], String(num(node.alloc_idle_cpus) ?? cpus - allocated)),
    cell(NODE_COLUMNS[4], `${formatMemory(memoryUsed)} / ${formatMemory(memory)}`),
    cell(NODE_COLUMNS[5], (node.partitions || []).join(", ")),
    cell(NODE_COLUMNS[6], node.reason || ""),
  );
  sizeBars(row);
  return row;
}

function partitionRow(partition, nodesByName) {
  const members = (partition.nodes && partition.nodes.configured ? expand(partition.nodes.configured) : [])
    .map((name) => nodesByName.get(name)).filter(Boolean);
  const total = members.reduce((sum, n) => sum + (num(n.cpus) || 0), 0) || num(partition.cpus && partition.cpus.total) || 0;
  const allocated = members.reduce((sum, n) => sum + (num(n.alloc_cpus) || 0), 0);
  const memory = members.reduce((sum, n) => sum + (num(n.real_memory) || 0), 0);
  const memoryUsed = members.reduce((sum, n) => sum + (num(n.alloc_memory) || 0), 0);
  const maxTime = partition.maximums ? num(partition.maximums.time) : null;
  const isDefault = (partition.flags || []).includes("DEFAULT");
  const row = h("tr", {},
    cell(PARTITION_COLUMNS[0], partition.name, isDefault ? " (default)" : ""),
    cell(PARTITION_COLUMNS[1], stateBadge(stateOf(partition.partition && partition.partition.state))),
    cell(PARTITION_COLUMNS[2], (partition.nodes && partition.nodes.configured) || ""),
    cell(PARTITION_COLUMNS[3], usage(allocated, total, "CPUs")),
    cell(PARTITION_COLUMNS[4], String(Math.max(total - allocated, 0))),
    cell(PARTITION_COLUMNS[5], `${formatMemory(memoryUsed)} / ${formatMemory(memory)}`),
    cell(PARTITION_COLUMNS[6], maxTime === null ? "" : formatMinutes(maxTime)),
  );
  sizeBars(row);
  return row;
}

/** Bars are sized from script (the policy allows no inline style attribute in the HTML). */
function sizeBars(row) {
  for (const span of row.querySelectorAll(".bar > span")) span.style.width = `${span.dataset.share}%`;
}

/** A Slurm host list ("node[1-3,5],gpu1") as names. */
export function expand(list) {
  const names = [];
  for (const part of String(list).match(/[^,[]+(\[[^\]]*\])?[^,]*/g) || []) {
    const match = /^(.*)\[([^\]]*)\](.*)$/.exec(part);
    if (!match) {
      if (part) names.push(part);
      continue;
    }
    const [, prefix, ranges, suffix] = match;
    for (const range of ranges.split(",")) {
      const [from, to = from] = range.split("-");
      for (let i = Number(from); i <= Number(to); i++) names.push(`${prefix}${String(i).padStart(from.length, "0")}${suffix}`);
    }
  }
  return names;
}
