// The page: sign-in, navigation and hash routes (#/queue, #/job/12, #/submit, #/nodes,
// #/history). Each view renders into <main> and returns a function that stops what it started
// (event streams, followed output) when another view replaces it.

import { session, whenRefused } from "./api.js";
import { announce, fill } from "./ui.js";
import { renderSignIn } from "./views/signin.js";
import { renderQueue } from "./views/queue.js";
import { renderJob } from "./views/job.js";
import { renderSubmit } from "./views/submit.js";
import { renderNodes } from "./views/nodes.js";
import { renderHistory } from "./views/history.js";

const main = document.getElementById("main");
const ROUTES = [
  { pattern: /^#\/queue$/, view: renderQueue, nav: "queue" },
  { pattern: /^#\/job\/(\d+)$/, view: renderJob, nav: "queue" },
  { pattern: /^#\/submit$/, view: renderSubmit, nav: "submit" },
  { pattern: /^#\/nodes$/, view: renderNodes, nav: "nodes" },
  { pattern: /^#\/history$/, view: renderHistory, nav: "history" },
];

let stopView = () => {};
let refusal = "";
/** Counts routings: a view that finishes rendering after the next routing began is stopped. */
let generation = 0;

function chrome() {
  const signedIn = session.signedIn;
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("who").hidden = !signedIn;
  document.getElementById("who-name").textContent = signedIn ? `Signed in as ${session.user || "(unnamed user)"}` : "";
}

function highlight(nav) {
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.route === nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function route() {
  const current = ++generation;
  stopView();
  stopView = () => {};
  chrome();
  if (!session.signedIn) {
    highlight("");
    stopView = renderSignIn(main, { message: refusal, signedIn: () => { refusal = ""; go(location.hash || "#/queue", true); } }) || stopView;
    focusHeading();
    return;
  }
  const hash = location.hash && location.hash !== "#" ? location.hash : "#/queue";
  const found = ROUTES.map((r) => ({ r, match: r.pattern.exec(hash) })).find((x) => x.match);
  if (!found) {
    highlight("");
    fill(main, notFound(hash));
    focusHeading();
    return;
  }
  highlight(found.r.nav);
  main.replaceChildren();
  let stop = () => {};
  try {
    stop = (await found.r.view(main, ...found.match.slice(1))) || stop;
  } catch (error) {
    if (current === generation) fill(main, errorPage(error));
  }
  if (current !== generation) {
    stop();
    return;
  }
  stopView = stop;
  focusHeading();
}

function go(hash, force = false) {
  if (location.hash === hash && force) route();
  else location.hash = hash;
}

/** Focus the view's heading, so that keyboard and screen-reader users land on the new page. */
function focusHeading() {
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
    document.title = `${heading.textContent} · slurmgate`;
  }
}

function notFound(hash) {
  const box = document.createElement("div");
  const title = document.createElement("h1");
  title.textContent = "Page not found";
  const text = document.createElement("p");
  text.textContent = `Nothing here is called ${hash}. `;
  const link = document.createElement("a");
  link.href = "#/queue";
  link.textContent = "Go to the queue";
  text.append(link);
  box.append(title, text);
  return box;
}

function errorPage(error) {
  const box = document.createElement("div");
  const title = document.createElement("h1");
  title.textContent = "Something went wrong";
  const text = document.createElement("p");
  text.className = "notice error";
  text.textContent = error && error.message ? error.message : String(error);
  box.append(title, text);
  return box;
}

function signOut(message = "") {
  session.clear();
  refusal = message;
  route();
}

whenRefused((errors) => {
  const why = errors.map((e) => e.description).filter(Boolean).join("; ");
  announce("The gateway refused the token: sign in again");
  signOut(`The gateway refused the token${why ? `: ${why}` : ""}. Paste a new one.`);
});

document.getElementById("sign-out").addEventListener("click", () => {
  signOut();
  announce("Signed out");
});
document.getElementById("skip").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
window.addEventListener("hashchange", route);
route();
