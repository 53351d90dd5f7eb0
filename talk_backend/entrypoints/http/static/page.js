"use strict";
// The page talks to the same JSON API as every other client. Messages for refused
// sign-ins live here, keyed by a code: the URL never carries text to display.

const REFUSALS = {
  invite: "You need an invite from a member. Ask someone who is already a member to " +
    "invite your Bluesky handle, then sign in again.",
  declined: "You declined the sign-in at Bluesky, so you are not signed in. " +
    "Nothing was shared with this site.",
  failed: "Sign-in could not be completed: it was started in another browser, took too " +
    "long, or was already used. Please sign in again from this page.",
  unavailable: "Bluesky's servers could not be reached or did not answer as they should, " +
    "so you are not signed in. Please try again later.",
};

const $ = (id) => document.getElementById(id);

function notice(text, kind = "error") {
  const box = $("notice");
  box.textContent = text;
  box.className = kind;
  box.hidden = !text;
}

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  return { status: response.status, ok: response.ok, data };
}

function detail(result) {
  const said = result.data && result.data.detail;
  if (typeof said === "string") return said;
  if (Array.isArray(said) && said.length) return said.map((e) => e.msg).join("; ");
  return `the server answered ${result.status}`;
}

function view(state) {
  document.body.dataset.state = state;
  $("signed-in").hidden = state !== "signed-in";
  $("signed-out").hidden = state !== "signed-out";
}

async function busy(form, work) {
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  try { await work(); } finally { buttons.forEach((b) => { b.disabled = false; }); }
}

function date(value) {
  return value ? new Date(value).toLocaleDateString() : "never";
}

async function showInvites() {
  const listed = await api("GET", "/invites");
  if (!listed.ok) { notice(`Could not list your invites: ${detail(listed)}`); return; }
  const rows = $("invites").querySelector("tbody");
  rows.replaceChildren();
  for (const invite of listed.data) {
    const row = document.createElement("tr");
    row.dataset.invitee = invite.invitee;
    row.dataset.status = invite.status;
    for (const text of [invite.invitee, invite.status, date(invite.expires_at)]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    const action = document.createElement("td");
    if (invite.status === "pending") {
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.className = "secondary";
      revoke.textContent = "Revoke";
      revoke.addEventListener("click", () => revokeInvite(invite));
      action.append(revoke);
    }
    row.append(action);
    rows.append(row);
  }
  $("invites").hidden = listed.data.length === 0;
  $("no-invites").hidden = listed.data.length !== 0;
}

async function revokeInvite(invite) {
  const revoked = await api("DELETE", `/invites/${encodeURIComponent(invite.id)}`);
  if (revoked.ok) notice(`The invite for ${invite.invitee} is revoked.`, "info");
  else notice(`Could not revoke the invite: ${detail(revoked)}`);
  await showInvites();
}

async function show() {
  const me = await api("GET", "/me");
  if (me.status === 401) { view("signed-out"); return; }
  if (!me.ok) { notice(`The server could not say who you are: ${detail(me)}`); return; }
  $("who-handle").textContent = me.data.handle ? `@${me.data.handle}` : me.data.did;
  $("who-did").textContent = me.data.did;
  $("who-since").textContent = date(me.data.created_at);
  view("signed-in");
  await showInvites();
}

$("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy(event.target, async () => {
    const started = await api("POST", "/auth/sign-in", { account: $("account").value.trim() });
    if (started.ok && started.data && started.data.authorization_url) {
      window.location.assign(started.data.authorization_url);
      return;
    }
    notice(`Could not start sign-in: ${detail(started)}`);
  });
});

$("sign-out").addEventListener("click", async () => {
  const out = await api("POST", "/auth/sign-out");
  if (!out.ok) { notice(`Could not sign out: ${detail(out)}`); return; }
  notice("You are signed out.", "info");
  await show();
});

$("invite-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy(event.target, async () => {
    const invitee = $("invitee").value.trim();
    const created = await api("POST", "/invites", { invitee });
    if (created.ok) {
      notice(`Invite created for ${created.data.invitee}.`, "info");
      $("invitee").value = "";
    } else if (created.status === 401) {
      notice("You are no longer signed in: sign in again.");
      await show();
      return;
    } else {
      notice(`Could not create the invite: ${detail(created)}`);
    }
    await showInvites();
  });
});

const refused = new URLSearchParams(window.location.search).get("sign_in_error");
if (refused !== null) {
  notice(REFUSALS[refused] || REFUSALS.failed);
  window.history.replaceState(null, "", "/");
}
show();
