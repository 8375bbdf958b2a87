// The dashboard: sign in with the admin token (exchanged for an HttpOnly cookie naming a
// server-side session), then list sources and recent events; signing out revokes the session.
"use strict";
const $ = (sel) => document.querySelector(sel);

async function api(path) {
  const res = await fetch(path, { credentials: "same-origin" });
  if (res.status === 401) { signOut(); throw new Error("unauthorized"); }
  if (!res.ok) throw new Error((await res.json()).error.message);
  return res.json();
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
}

function fill(tbody, items, columns) {
  tbody.replaceChildren();
  for (const item of items) {
    const tr = document.createElement("tr");
    for (const col of columns) cell(tr, col(item));
    tbody.appendChild(tr);
  }
}

async function refresh() {
  const info = await api("/api/v1/info");
  $("#version").textContent = "v" + info.version;
  const sources = await api("/api/v1/sources?limit=100");
  fill($("#sources tbody"), sources.data, [(s) => s.name, (s) => s.provider, (s) => location.origin + s.ingest_path, (s) => s.created_at]);
  const events = await api("/api/v1/events?limit=50");
  fill($("#events tbody"), events.data, [(e) => e.received_at, (e) => e.source_id, (e) => e.type, (e) => e.provider_event_id]);
}

function signOut() {
  $("#app").hidden = true;
  $("#signin").hidden = false;
}

async function show() {
  $("#signin").hidden = true;
  $("#app").hidden = false;
  await refresh();
}

$("#signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const res = await fetch("/api/v1/session", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: $("#token").value }),
    });
    if (!res.ok) throw new Error((await res.json()).error.message);
    $("#token").value = "";
    await show();
    $("#signin-error").textContent = "";
  }
  catch (e) { $("#signin-error").textContent = "Sign-in failed: " + e.message; }
});
$("#refresh").addEventListener("click", () => refresh().catch(() => {}));
$("#signout").addEventListener("click", async () => {
  await fetch("/api/v1/session", { method: "DELETE", credentials: "same-origin" }).catch(() => {});
  signOut();
});
show().catch(() => {});
