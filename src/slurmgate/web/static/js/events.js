// The gateway's event stream (GET /slurmgate/v1/events, Server-Sent Events), read with fetch()
// and a ReadableStream: EventSource cannot send the token header. Reconnects by itself,
// resuming after the last event id it saw (Last-Event-ID).

import { send } from "./api.js";

const PATH = "/slurmgate/v1/events";
const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30000;

/** Jobs whose events this tab keeps, and events kept per job: a job's page shows the steps
 * seen by the pages open before it (the queue's stream), not only its own. */
const KEPT_JOBS = 2000;
const KEPT_EVENTS = 50;
const seenByJob = new Map();

/** The job events this tab has seen for ``jobId``, oldest first: [{id, type, time, reason}]. */
export function seenEvents(jobId) {
  return [...(seenByJob.get(jobId) || new Map()).values()];
}

function keep(type, data) {
  let events = seenByJob.get(data.job_id);
  if (!events) {
    if (seenByJob.size >= KEPT_JOBS) seenByJob.delete(seenByJob.keys().next().value);
    events = new Map();
    seenByJob.set(data.job_id, events);
  }
  // By the event's id: a stream resumed after a reconnection may repeat one.
  events.set(data.id || `${type}-${data.mirror_time}`, { id: data.id, type: type.slice(4), time: data.mirror_time, reason: data.reason });
  if (events.size > KEPT_EVENTS) events.delete(events.keys().next().value);
}

/** Splits a text stream into SSE frames ({id, event, data}), as the HTML standard parses them. */
export class FrameParser {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.buffer = "";
    this.reset();
  }

  reset() {
    this.event = "";
    this.data = [];
    this.id = null;
    this.retry = null;
  }

  push(text) {
    this.buffer += text;
    let match;
    while ((match = /\r\n|\r|\n/.exec(this.buffer)) !== null) {
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  line(line) {
    if (line === "") {
      if (this.data.length || this.event) {
        this.onFrame({ id: this.id, event: this.event || "message", data: this.data.join("\n"), retry: this.retry });
      }
      this.reset();
      return;
    }
    if (line.startsWith(":")) return; // a comment: the heartbeat
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "event") this.event = value;
    else if (name === "data") this.data.push(value);
    else if (name === "id" && !value.includes("\0")) this.id = value;
    else if (name === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

/**
 * A stream of events for one view. ``onEvent(type, data)`` gets job.* and node.* events;
 * ``onStatus(state)`` gets "connecting", "live" or "retrying"; ``onGap()`` is called when
 * events may have been missed (a reconnection, stream.missed, stream.overflow): reload.
 */
export class EventFeed {
  constructor(params, { onEvent, onStatus = () => {}, onGap = () => {} }) {
    this.query = new URLSearchParams(params).toString();
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.onGap = onGap;
    this.lastId = null;
    this.controller = null;
    this.stopped = false;
    this.delay = FIRST_RETRY_MS;
  }

  start() {
    this.run();
    return this;
  }

  stop() {
    this.stopped = true;
    if (this.controller) this.controller.abort();
  }

  async run() {
    let connections = 0;
    while (!this.stopped) {
      this.onStatus(connections ? "retrying" : "connecting");
      this.controller = new AbortController();
      let opened = false;
      try {
        const headers = this.lastId ? { "Last-Event-ID": this.lastId } : {};
        const response = await send(`${PATH}${this.query ? `?${this.query}` : ""}`, { headers, signal: this.controller.signal });
        if (response.status === 401) return; // signed out by the app
        if (response.ok && response.body) {
          opened = true;
          if (connections++) this.onGap();
          this.delay = FIRST_RETRY_MS;
          this.onStatus("live");
          await this.read(response.body);
        }
      } catch (error) {
        if (this.stopped) return;
      }
      if (this.stopped) return;
      this.onStatus("retrying");
      await new Promise((resolve) => setTimeout(resolve, this.delay));
      if (!opened) this.delay = Math.min(this.delay * 2, LAST_RETRY_MS);
    }
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new FrameParser((frame) => this.frame(frame));
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        parser.push(value);
      }
    } finally {
      reader.releaseLock();
    }
  }

  frame(frame) {
    if (frame.id) this.lastId = frame.id;
    if (frame.retry) this.delay = frame.retry;
    if (frame.event === "stream.missed" || frame.event === "stream.overflow") {
      this.onGap();
      return;
    }
    if (!frame.event.startsWith("job.") && !frame.event.startsWith("node.")) return;
    let data = {};
    try {
      data = JSON.parse(frame.data);
    } catch {
      return;
    }
    if (frame.event.startsWith("job.") && typeof data.job_id === "number") keep(frame.event, data);
    this.onEvent(frame.event, data);
  }
}
