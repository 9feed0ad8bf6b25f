// The built-in page's few lines of script: node status, and first-run setup while no account exists.
/* global document */
"use strict";

async function json(url, init) {
  const response = await fetch(url, { credentials: "same-origin", ...init });
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  return { response, body };
}

async function showStatus() {
  const { response, body } = await json("/api/status");
  if (!response.ok || !body) return;
  const archive = body.archive ?? {};
  document.getElementById("status").textContent =
    `Hilum ${body.version} — AE title ${body.aeTitle}, DICOM port ${body.dicom?.port}: ` +
    `${archive.studies ?? 0} studies, ${archive.instances ?? 0} instances.`;
}

async function offerSetup() {
  const { response, body } = await json("/api/setup");
  if (!response.ok || !body?.setupRequired) return;
  const section = document.getElementById("setup");
  const form = document.getElementById("setup-form");
  const message = document.getElementById("setup-message");
  document.getElementById("setup-rules").textContent =
    `Passwords need at least ${body.passwordMinLength} characters. ${body.usernameRule ?? ""}`;
  section.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    if (data.get("password") !== data.get("repeat")) {
      message.textContent = "The two passwords differ.";
      return;
    }
    message.textContent = "Creating…";
    const result = await json("/api/setup", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: data.get("username"), password: data.get("password") }),
    });
    if (result.response.ok) {
      form.hidden = true;
      section.querySelector("p").textContent =
        `Administrator ${result.body.user.name} created; you are signed in.`;
      message.textContent = "";
    } else {
      message.textContent = result.body?.detail ?? `Failed (HTTP ${result.response.status}).`;
    }
  });
}

showStatus().catch(() => undefined);
offerSetup().catch(() => undefined);
