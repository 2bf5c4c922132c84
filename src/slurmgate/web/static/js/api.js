// Calls to the gateway. The token lives in this tab's sessionStorage only and travels in the
// X-SLURM-USER-TOKEN header: never in a cookie (credentials: "omit"), a URL or the console.

const TOKEN_KEY = "slurmgate.token";
const VERSION_KEY = "slurmgate.version";
/** API versions this page speaks, newest first: it uses the newest the gateway serves. */
export const VERSIONS = ["v0.0.45", "v0.0.44"];
/** The accounting version the history page reads. */
export const SLURMDB_VERSION = "v0.0.44";

export class ApiError extends Error {
  constructor(status, errors, message) {
    super(message || describe(errors) || `The gateway answered ${status}`);
    this.status = status;
    /** slurmrestd's error list: [{error, error_number, description, source}]. */
    this.errors = errors || [];
  }
}

function describe(errors) {
  return (errors || []).map((e) => e.description || e.error).filter(Boolean).join("; ");
}

/** Called when the gateway refuses the token (401): the app signs out. */
let onRefused = () => {};
export function whenRefused(callback) { onRefused = callback; }

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY) || ""; },
  get version() { return sessionStorage.getItem(VERSION_KEY) || VERSIONS[0]; },
  get user() { return tokenUser(this.token); },
  get signedIn() { return Boolean(this.token); },
  save(token, version) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(VERSION_KEY, version);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(VERSION_KEY);
  },
};

/** What a pasted token may look like: the JWT alone, or `SLURM_JWT=...` as printed. */
export function cleanToken(text) {
  return String(text || "").trim().replace(/^export\s+/, "").replace(/^SLURM_JWT=/, "").replace(/^["']|["']$/g, "").trim();
}

/** The user a token names (its `sun` or `username` claim), read for display; the gateway checks it. */
export function tokenUser(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
    return String(claims.sun || claims.username || claims.preferred_username || "");
  } catch {
    return "";
  }
}

export function slurm(tail) { return `/slurm/${session.version}/${tail}`; }
export function slurmdb(tail) { return `/slurmdb/${SLURMDB_VERSION}/${tail}`; }

/** fetch() with the token; ``token`` overrides the session's (signing in). */
export async function send(path, { method = "GET", body, headers = {}, signal, token } = {}) {
  const used = token || session.token;
  if (!used) throw new ApiError(401, [], "Signed out: sign in again");
  const sent = new Headers(headers);
  sent.set("X-SLURM-USER-TOKEN", used);
  const init = { method, headers: sent, signal, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" };
  if (body !== undefined) {
    sent.set("Content-Type", "application/json");
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  // Refused: sign out, unless the token was already replaced or forgotten meanwhile.
  if (response.status === 401 && !token && used === session.token) onRefused(await errorsOf(response));
  return response;
}

async function errorsOf(response) {
  try {
    const answer = await response.clone().json();
    return Array.isArray(answer.errors) ? answer.errors : [];
  } catch {
    return [];
  }
}

/** A JSON call: the answer, or an ApiError with the envelope's errors. With ``strict``, a 200
 * whose ``errors`` list is not empty is a failure too (a change that was refused). */
export async function call(path, options = {}) {
  const response = await send(path, options);
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  const errors = answer && Array.isArray(answer.errors) ? answer.errors : [];
  if (!response.ok || (options.strict && errors.length)) {
    throw new ApiError(response.status, errors);
  }
  return answer || {};
}

/** Check a token by pinging the newest version the gateway serves; that version is kept. */
export async function signIn(token) {
  for (const version of VERSIONS) {
    const response = await send(`/slurm/${version}/ping`, { token });
    if (response.status === 404) continue;
    if (!response.ok) {
      const errors = await errorsOf(response);
      throw new ApiError(response.status, errors);
    }
    session.save(token, version);
    return version;
  }
  throw new ApiError(404, [], `This gateway serves none of ${VERSIONS.join(", ")}`);
}
