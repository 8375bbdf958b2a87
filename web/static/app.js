// The dashboard: sign in with the admin token, then list sources and recent events.
// The token stays in this tab's sessionStorage and is sent as a bearer token.
"use strict";
const $ = (sel) => document.querySelector(sel);

async function api(path) {
  const res = await fetch(path, { headers: { Authorization: "Bearer " + sessionStorage.getItem("hookd_token") } });
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
  sessionStorage.removeItem("hookd_token");
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
  sessionStorage.setItem("hookd_token", $("#token").value);
  try { await show(); $("#signin-error").textContent = ""; }
  catch (e) { $("#signin-error").textContent = "Sign-in failed: " + e.message; }
});
$("#refresh").addEventListener("click", () => refresh().catch(() => {}));
if (sessionStorage.getItem("hookd_token")) show().catch(() => {});
