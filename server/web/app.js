// rgunit gallery: browse items, pick a source and target attributes, see
// its neighbours and its translation. The view's state lives in the URL
// (?q=id:42&to=Blond_Hair,-Young&page=2) so a view can be shared.
"use strict";

const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
const pageSize = 24;
let attrs = [];
let upload = null; // a File the user uploaded (not in the URL)

const $ = (id) => document.getElementById(id);

function withToken(url) {
  if (!token) return url;
  return url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
}

async function api(path, opts = {}) {
  opts.headers = Object.assign({}, opts.headers, token ? { Authorization: "Bearer " + token } : {});
  const res = await fetch(path, opts);
  const body = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

function state() {
  const p = new URLSearchParams(location.search);
  return { q: p.get("q") || "", to: p.get("to") || "", page: Math.max(1, parseInt(p.get("page") || "1", 10) || 1) };
}

function go(change) {
  const s = Object.assign(state(), change);
  const p = new URLSearchParams();
  if (s.q) p.set("q", s.q);
  if (s.to) p.set("to", s.to);
  if (s.page > 1) p.set("page", s.page);
  if (token) p.set("token", token);
  history.pushState(null, "", "?" + p.toString());
  render();
}

function el(tag, props = {}, children = []) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

function figure(src, caption, onclick) {
  const f = el("figure", {}, [el("img", { src, alt: caption, loading: "lazy" }), el("figcaption", { textContent: caption })]);
  if (onclick) { f.style.cursor = "pointer"; f.onclick = onclick; }
  return f;
}

function itemImage(id) { return withToken(`/api/items/${id}/image`); }

function labelText(labels) {
  const on = Object.keys(labels || {}).filter((k) => labels[k] > 0).sort();
  if (!labels || Object.keys(labels).length === 0) return "unlabelled";
  return on.length ? on.join(", ") : "(all −)";
}

// --- target attributes ---------------------------------------------------

function targetMap(to) {
  const m = {};
  for (const t of to.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (t.startsWith("-")) m[t.slice(1)] = -1; else m[t] = 1;
  }
  return m;
}

function targetString(m) {
  return attrs.filter((a) => m[a]).map((a) => (m[a] < 0 ? "-" : "") + a).join(",");
}

function renderAttrs(to) {
  const m = targetMap(to);
  const box = $("attrs");
  box.replaceChildren();
  for (const a of attrs) {
    const b = el("button", { type: "button", className: "attr" + (m[a] > 0 ? " pos" : m[a] < 0 ? " neg" : ""), textContent: a.replaceAll("_", " ") });
    b.dataset.attr = a;
    b.onclick = () => {
      const next = Object.assign({}, targetMap(state().to));
      next[a] = next[a] > 0 ? -1 : next[a] < 0 ? 0 : 1;
      go({ to: targetString(next) });
    };
    box.append(b);
  }
}

// --- browsing ------------------------------------------------------------

async function renderGrid(page) {
  const data = await api(`/api/items?offset=${(page - 1) * pageSize}&limit=${pageSize}`);
  const grid = $("grid");
  grid.replaceChildren();
  for (const it of data.items) {
    const pred = it.predicted ? Object.keys(it.predicted).filter((k) => it.predicted[k] >= 0.5).sort().join(", ") : "";
    const card = el("div", { className: "card", title: it.path }, [
      el("img", { src: itemImage(it.id), alt: "id:" + it.id, loading: "lazy" }),
      el("div", { className: "labels" }, [el("b", { textContent: "id:" + it.id + " " }), labelText(it.labels)]),
    ]);
    if (pred) card.append(el("div", { className: "pred", textContent: "predicted: " + pred }));
    card.dataset.id = it.id;
    card.onclick = () => { upload = null; go({ q: "id:" + it.id }); window.scrollTo(0, 0); };
    grid.append(card);
  }
  const pages = Math.max(1, Math.ceil(data.total / pageSize));
  $("count").textContent = `${data.total} items`;
  $("page").textContent = `page ${page} of ${pages}`;
  $("prev").disabled = page <= 1;
  $("next").disabled = page >= pages;
  $("prev").onclick = () => go({ page: page - 1 });
  $("next").onclick = () => go({ page: page + 1 });
}

// --- a query and its translation -----------------------------------------

function sourceForm(s) {
  const f = new FormData();
  if (upload) f.append("image", upload, upload.name); else f.append("id", s.q.replace(/^id:/, ""));
  f.append("to", s.to);
  return f;
}

async function renderResult(s) {
  const box = $("result");
  const err = $("error");
  err.hidden = true;
  $("warning").hidden = true;
  document.body.dataset.state = "loading";
  if (!s.q && !upload) { box.hidden = true; document.body.dataset.state = "idle"; return; }
  box.hidden = false;
  const srcURL = upload ? URL.createObjectURL(upload) : itemImage(s.q.replace(/^id:/, ""));
  $("source").replaceChildren(...figure(srcURL, upload ? upload.name : s.q).childNodes);
  for (const id of ["translation", "guides", "neighbours"]) $(id).replaceChildren();
  $("tr-how").textContent = $("nb-how").textContent = "";
  if (!s.to) {
    $("translation").append(el("p", { className: "muted", textContent: "Pick target attributes above." }));
    document.body.dataset.state = "idle";
    return;
  }
  try {
    const [q, tr] = await Promise.all([
      api("/api/query", { method: "POST", body: (() => { const f = sourceForm(s); f.append("k", "8"); return f; })() }),
      api("/api/translate", { method: "POST", body: sourceForm(s) }),
    ]);
    const warning = q.warning || tr.warning;
    if (warning) {
      $("warning").textContent = "Note: " + warning;
      $("warning").hidden = false;
    }
    $("nb-how").textContent = `(${q.estimated ? "source attributes estimated by the encoder" : "source labels known"})`;
    for (const r of q.results) {
      $("neighbours").append(figure(itemImage(r.id), `id:${r.id} · ${r.distance.toFixed(3)}`, () => { upload = null; go({ q: "id:" + r.id }); }));
    }
    $("tr-how").textContent = `${tr.source_attrs} → ${tr.target_attrs}` + (tr.retrieval ? "" : " (GMM-UNIT, no retrieval)");
    tr.outputs.forEach((o, i) => $("translation").append(figure(o, tr.outputs.length > 1 ? `sample ${i + 1}` : "to " + tr.target)));
    for (const id of tr.neighbours) $("guides").append(figure(itemImage(id), "id:" + id, () => { upload = null; go({ q: "id:" + id }); }));
    document.body.dataset.state = "done";
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
    document.body.dataset.state = "error";
  }
}

async function render() {
  const s = state();
  $("q").value = upload ? "" : s.q;
  renderAttrs(s.to);
  await Promise.all([renderResult(s), renderGrid(s.page)]);
}

async function init() {
  try {
    const st = await api("/api/stats");
    attrs = st.model_attributes || [];
    $("dbinfo").textContent = `${st.path.split("/").pop()} · ${st.items} items`;
  } catch (e) {
    $("dbinfo").textContent = e.message;
  }
  $("search").onsubmit = (ev) => {
    ev.preventDefault();
    const f = $("file").files[0];
    if (f) { upload = f; $("file").value = ""; go({ q: "" }); return; }
    upload = null;
    let q = $("q").value.trim();
    if (/^\d+$/.test(q)) q = "id:" + q;
    go({ q });
  };
  $("file").onchange = () => $("search").requestSubmit();
  window.onpopstate = () => { upload = null; render(); };
  render();
}

init();
