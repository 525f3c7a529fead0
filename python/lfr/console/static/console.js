// lfr operator console: the live alerts page, verdicts, cameras and small helpers.
// Hand-written, no library. Text from the server is only ever set as textContent.
"use strict";

const CSRF = () => document.querySelector('meta[name="csrf-token"]').content;

function toLogin() {
  location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
}

async function api(method, url, body) {
  const options = { method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
  if (method !== "GET") {
    options.headers["X-CSRF-Token"] = CSRF();
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body || {});
  }
  const response = await fetch(url, options);
  if (response.status === 401) { toLogin(); throw new Error("logged out"); }
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

// --- time ------------------------------------------------------------------------------
function ago(ts) {
  const s = Math.max(0, Date.now() / 1000 - ts);
  if (s < 60) return Math.floor(s) + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  return Math.floor(s / 86400) + " d ago";
}
function countdown(ts) {
  const s = ts - Date.now() / 1000;
  if (s <= 0) return "expired";
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return "in " + (d ? d + " d " : "") + (d || h ? h + " h " : "") + m + " min";
}
function localTime(ts) { return new Date(ts * 1000).toLocaleString(); }
function tick() {
  document.querySelectorAll("[data-ago]").forEach(e => { e.textContent = ago(+e.dataset.ago); });
  document.querySelectorAll("[data-expires]").forEach(e => { e.textContent = countdown(+e.dataset.expires); });
}
function fillTimes() {
  document.querySelectorAll(".localtime[data-ts]").forEach(e => { e.textContent = localTime(+e.dataset.ts); });
  tick();
  setInterval(tick, 1000);
}

// --- enrolled photos -------------------------------------------------------------------
const identities = new Map(); // "watchlist/identity" -> promise of {photos, label}
function identityInfo(watchlist, identity) {
  const key = watchlist + "/" + identity;
  if (!identities.has(key)) {
    const url = "/api/watchlists/" + encodeURIComponent(watchlist) + "/identities/" + encodeURIComponent(identity);
    identities.set(key, api("GET", url).catch(() => ({ photos: 0 })));
  }
  return identities.get(key);
}
async function showEnrolled(box, watchlist, identity) {
  const info = await identityInfo(watchlist, identity);
  box.textContent = "";
  const n = Math.min(info.photos || 0, 3);
  for (let i = 0; i < n; i++) {
    const face = document.createElement("div");
    face.className = "face enrolled";
    const img = document.createElement("img");
    img.className = "enrolled-photo";
    img.alt = "enrolled photo";
    img.src = "/api/watchlists/" + encodeURIComponent(watchlist) + "/identities/" + encodeURIComponent(identity) + "/photos/" + i + ".jpg";
    const caption = document.createElement("span");
    caption.textContent = "enrolled";
    face.append(img, caption);
    box.append(face);
  }
}

// --- verdicts ----------------------------------------------------------------------------
async function judge(card, verdict) {
  const note = card.querySelector(".note").value.trim();
  card.querySelectorAll("button[data-verdict]").forEach(b => { b.disabled = true; });
  try {
    const alert = await api("POST", "/api/alerts/" + encodeURIComponent(card.dataset.alertId) + "/verdict", { verdict, note: note || null });
    if (window.live) window.live.upsert(alert, false);
    else markJudged(card, alert);
  } catch (err) {
    card.querySelector(".judged-by").textContent = "not recorded: " + err.message;
  } finally {
    card.querySelectorAll("button[data-verdict]").forEach(b => { b.disabled = false; });
  }
}
function markJudged(card, alert) {
  card.classList.toggle("judged", alert.status !== "raised");
  const status = document.getElementById("status");
  if (status) { status.textContent = alert.status; status.className = "badge s-" + alert.status; }
  card.querySelector(".judged-by").textContent = alert.status === "raised" ? "" : alert.status + " by " + alert.adjudicated_by;
}
function wireButtons(card) {
  card.querySelectorAll("button[data-verdict]").forEach(b => b.addEventListener("click", () => judge(card, b.dataset.verdict)));
}

// --- the live page -----------------------------------------------------------------------
class Live {
  constructor() {
    this.cards = new Map(); // alert_id -> {card, alert}
    this.lastSeq = 0;
    this.selected = null;
    this.awaiting = document.getElementById("awaiting");
    this.judged = document.getElementById("judged");
    this.conn = document.getElementById("conn");
    this.sound = document.getElementById("sound");
    this.sound.checked = localStorage.getItem("lfr.sound") === "on";
    this.sound.addEventListener("change", () => localStorage.setItem("lfr.sound", this.sound.checked ? "on" : "off"));
    document.addEventListener("keydown", e => this.key(e));
  }

  async start() {
    await this.sync();
    this.connect();
    setInterval(() => this.cards.forEach(({ card, alert }) => { card.querySelector(".ago").textContent = ago(alert.ts); }), 1000);
  }

  async sync() {
    const data = await api("GET", "/api/live");
    data.alerts.slice().reverse().forEach(a => this.upsert(a, false));
    this.lastSeq = Math.max(this.lastSeq, data.last_seq);
  }

  connect() {
    const source = new EventSource("/api/events?since_seq=" + this.lastSeq);
    let dropped = false;
    source.addEventListener("open", () => {
      this.setConn("up", "live");
      if (dropped) { dropped = false; this.sync().catch(() => {}); } // verdicts missed meanwhile
    });
    source.addEventListener("error", () => { dropped = true; this.setConn("down", "reconnecting…"); });
    source.addEventListener("alert", e => { const a = JSON.parse(e.data); this.lastSeq = Math.max(this.lastSeq, a.seq); this.upsert(a, a.status === "raised"); });
    source.addEventListener("verdict", e => this.upsert(JSON.parse(e.data), false));
    source.addEventListener("logout", () => { source.close(); toLogin(); });
    this.source = source;
  }

  setConn(kind, text) { this.conn.className = "conn " + kind; this.conn.textContent = text; }

  upsert(alert, fresh) {
    let entry = this.cards.get(alert.alert_id);
    if (entry && entry.alert.adjudicated_at && !alert.adjudicated_at && alert.seq <= entry.alert.seq) return; // older news
    if (!entry) {
      const card = document.getElementById("card-template").content.firstElementChild.cloneNode(true);
      card.dataset.alertId = alert.alert_id;
      wireButtons(card);
      card.addEventListener("click", () => this.select(card));
      entry = { card, alert };
      this.cards.set(alert.alert_id, entry);
    }
    entry.alert = alert;
    this.render(entry.card, alert);
    const list = alert.status === "raised" ? this.awaiting : this.judged;
    if (entry.card.parentElement !== list || fresh) list.prepend(entry.card);
    if (fresh) this.cue(entry.card);
    while (this.judged.children.length > 30) {
      const last = this.judged.lastElementChild;
      this.cards.delete(last.dataset.alertId);
      last.remove();
    }
    if (this.selected === null || !this.awaiting.contains(this.selected)) this.select(this.awaiting.firstElementChild);
    this.counts();
  }

  render(card, a) {
    card.classList.toggle("judged", a.status !== "raised");
    const probe = card.querySelector(".probe");
    const src = "/api/alerts/" + encodeURIComponent(a.alert_id) + "/crop.jpg?seq=" + a.seq;
    if (a.has_crop && probe.dataset.src !== src) { probe.dataset.src = src; probe.src = src; }
    const key = a.watchlist + "/" + a.identity;
    const box = card.querySelector(".enrolled-set");
    if (box.dataset.key !== key) { box.dataset.key = key; showEnrolled(box, a.watchlist, a.identity); }
    const who = card.querySelector(".who");
    who.textContent = a.label || a.identity;
    const small = document.createElement("small");
    small.textContent = a.identity + (a.revision ? " · revised, was " + a.previous_identity : "");
    who.append(small);
    card.querySelector(".score").textContent = a.score.toFixed(3);
    card.querySelector(".threshold").textContent = "threshold " + a.threshold.toFixed(3);
    card.querySelector(".camera").textContent = a.camera;
    card.querySelector(".watchlist").textContent = a.watchlist;
    card.querySelector(".time").textContent = localTime(a.ts);
    card.querySelector(".ago").textContent = ago(a.ts);
    card.querySelector(".judged-by").textContent = a.status === "raised" ? "" : a.status + " by " + a.adjudicated_by + (a.note ? ": " + a.note : "");
  }

  counts() {
    const n = this.awaiting.children.length;
    document.getElementById("awaiting-count").textContent = n;
    document.getElementById("awaiting-empty").hidden = n > 0;
    document.title = (n ? "(" + n + ") " : "") + "Live alerts · lfr console";
  }

  cue(card) {
    card.classList.remove("fresh");
    void card.offsetWidth;
    card.classList.add("fresh");
    if (!this.sound.checked) return;
    try {
      const ctx = this.audio || (this.audio = new AudioContext());
      const osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.4);
      osc.connect(gain).connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.4);
    } catch (err) { /* no audio device: the visual cue stays */ }
  }

  select(card) {
    if (this.selected) this.selected.classList.remove("selected");
    this.selected = card || null;
    if (card) card.classList.add("selected");
  }

  key(e) {
    if (e.target.matches("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    const card = this.selected;
    const verdicts = { c: "confirmed", f: "false", n: "not-engaged" };
    if (e.key === "j" || e.key === "k") {
      const next = card && (e.key === "j" ? card.nextElementSibling : card.previousElementSibling);
      if (next) { this.select(next); next.scrollIntoView({ block: "nearest" }); }
    } else if (card && verdicts[e.key]) {
      judge(card, verdicts[e.key]);
    } else if (card && e.key === "m") {
      e.preventDefault();
      card.querySelector(".note").focus();
    } else if (card && e.key === "o") {
      location.href = "/alerts/" + encodeURIComponent(card.dataset.alertId);
    } else {
      return;
    }
    e.preventDefault();
  }
}

// --- cameras -----------------------------------------------------------------------------
function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    td.append(span);
  } else td.textContent = text;
  return td;
}
const num = (v, digits) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits));
async function pollCameras() {
  try {
    const data = await api("GET", "/api/cameras");
    const body = document.querySelector("#cameras tbody");
    body.textContent = "";
    data.cameras.forEach(c => {
      const tr = document.createElement("tr");
      const g2a = c.glass_to_alert_ms || {};
      tr.append(
        cell(c.id), cell(c.state, "badge s-" + c.state), cell(c.watchlist),
        cell(num(c.fps_in, 1)), cell(num(c.fps_analysed, 1)), cell(String(c.dropped)),
        cell(g2a.p50 === undefined ? "—" : num(g2a.p50, 0) + " / " + num(g2a.p99, 0) + " ms"),
        cell(String(c.reconnects)), cell(c.last_error || ""),
      );
      body.append(tr);
    });
    document.getElementById("cameras-empty").hidden = data.cameras.length > 0;
    document.getElementById("cameras-updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (err) { /* shown as stale by the time stamp */ }
}

document.addEventListener("DOMContentLoaded", () => {
  fillTimes();
  const page = document.body.dataset.page;
  if (page === "live") { window.live = new Live(); window.live.start(); }
  if (page === "cameras") { pollCameras(); setInterval(pollCameras, 1000); }
  if (page === "alert") {
    const card = document.querySelector(".card[data-alert-id]");
    wireButtons(card);
    showEnrolled(card.querySelector(".enrolled-set"), card.dataset.watchlist, card.dataset.identity);
  }
});
