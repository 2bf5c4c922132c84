// Signing in: a token pasted here is checked against the gateway, then kept for this tab only.

import { ApiError, cleanToken, signIn } from "../api.js";
import { announce, field, h, setFieldError } from "../ui.js";

export function renderSignIn(main, { message, signedIn }) {
  const input = h("input", { type: "password", name: "token", autocomplete: "off", spellcheck: "false", required: true });
  const status = h("p", { class: "notice", role: "status" }, message || "");
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { class: "panel", novalidate: true },
    field("token", "Token", input, [
      "Print one on a login node with ", h("code", {}, "slurmgate token"), " (or ", h("code", {}, "scontrol token"),
      ") and paste it, with or without ", h("code", {}, "SLURM_JWT="),
      ". It is kept in this tab only, until you sign out or close it.",
    ]),
    h("div", { class: "actions" }, button),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = cleanToken(input.value);
    if (!token) {
      setFieldError("token", "Paste a token first.");
      input.focus();
      return;
    }
    button.disabled = true;
    setFieldError("token", "");
    try {
      await signIn(token);
      input.value = "";
      announce("Signed in");
      signedIn();
    } catch (error) {
      const why = error instanceof ApiError && error.status === 401
        ? `The gateway refused this token: ${error.message}`
        : `Cannot sign in: ${error.message}`;
      setFieldError("token", why);
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  main.replaceChildren(
    h("h1", {}, "Sign in"),
    h("p", {}, "slurmgate's page for your jobs: the queue, submitting, nodes and history, through the gateway's API and with your token."),
    status,
    form,
  );
  return () => {};
}
