"use strict";
/* docmill report: lays out the run data embedded in #docmill-data.
 * Contract: document text reaches the page only through textContent, text nodes
 * and setAttribute; never through innerHTML or any HTML parser. A document's data
 * (its own JSON block) is parsed and laid out the first time its section is
 * opened (lazy); the page opens on the summary block alone. */
(function () {
  const DATA = JSON.parse(document.getElementById("docmill-data").textContent);
  const SEVERITIES = ["error", "warning", "info"];
  const PALETTE = {
    PERSON: "#ffd9a8", ORG: "#c9dcff", GPE: "#c8f0cf", LOC: "#d8f5a2", NORP: "#f3d1f5",
    EVENT: "#ffc9c9", DATE: "#e6e1ff", TIME: "#e6e1ff", FAC: "#ffe8a3", PRODUCT: "#d6f0ff",
    WORK_OF_ART: "#f9d7e5", LAW: "#e9dfcf", LANGUAGE: "#d0f4ea", MONEY: "#e2f0cb",
    PERCENT: "#eaeaea", QUANTITY: "#eaeaea", CARDINAL: "#efefef", ORDINAL: "#efefef",
  };
  const PRIORITY = { quote: 0, edit: 1, finding: 2, entity: 3, date: 4 };
  const off = { label: new Set(), plugin: new Set(), severity: new Set() };
  const rendered = [];

  /* A document's text, spans and findings, from its own JSON block, names restored. */
  function loadBody(i) {
    const b = JSON.parse(document.getElementById("doc-data-" + i).textContent);
    for (const row of b.spans) { row[0] = DATA.kinds[row[0]]; row[3] = DATA.sources[row[3]]; }
    for (const row of b.findings) row[5] = DATA.sources[row[5]];
    return b;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child); // strings become text nodes
    }
    return node;
  }

  function colour(label) {
    if (PALETTE[label]) return PALETTE[label];
    let h = 0;
    for (let i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) % 360;
    return "hsl(" + h + ", 70%, 86%)";
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function fmtSeconds(s) { return typeof s === "number" ? s.toFixed(s < 10 ? 3 : 1) + " s" : "–"; }

  /* ---------- overview ---------- */
  function overview() {
    const run = DATA.run;
    document.getElementById("run-id").textContent = run.run_id || "";
    document.getElementById("run-times").textContent =
      "started " + (run.started || "?") + " · finished " + (run.finished || "?") +
      " · docmill " + (run.docmill_version || "?") + " · schema " + (run.schema_version || "?");
    const sev = DATA.severities;
    const stats = document.getElementById("stats");
    const stat = (label, value, cls) => stats.append(el("div", { class: "stat " + (cls || "") }, el("b", null, String(value)), label));
    stat("inputs", run.n_inputs ?? DATA.docs.length + DATA.rejects.length);
    stat("documents", run.documents ?? DATA.docs.length);
    stat("rejects", run.rejects ?? DATA.rejects.length, DATA.rejects.length ? "warning" : "");
    for (const s of SEVERITIES) stat(s + " findings", sev[s] || 0, sev[s] ? s : "");
    stat("wall time", fmtSeconds(run.seconds));

    const kinds = document.getElementById("kinds");
    kinds.append(el("tr", null, el("th", null, "kind"), el("th", null, "records")));
    for (const [kind, n] of Object.entries(DATA.counts)) {
      kinds.append(el("tr", null, el("td", null, kind), el("td", { class: "num" }, String(n))));
    }

    const bars = document.getElementById("timings");
    const order = ["load", "clean", "segment", "extract", "validate", "export"];
    const rank = (stage) => (order.includes(stage) ? order.indexOf(stage) : order.length);
    const times = Object.entries(DATA.timings).sort((x, y) => rank(x[0]) - rank(y[0]) || (x[0] < y[0] ? -1 : 1));
    const max = Math.max(1e-9, ...times.map(([, s]) => s));
    for (const [stage, secs] of times) {
      const fill = el("div", { class: "fill" });
      fill.style.width = (100 * secs / max).toFixed(1) + "%";
      bars.append(el("div", { class: "bar", "data-stage": stage }, el("span", null, stage),
        el("div", { class: "track" }, fill), el("span", { class: "num" }, fmtSeconds(secs))));
    }

    const perPlugin = DATA.by_plugin;
    const plugins = document.getElementById("plugins");
    plugins.append(el("tr", null, el("th", null, "plugin"), el("th", null, "version"), el("th", null, "spans + findings")));
    for (const [name, version] of Object.entries(DATA.plugins)) {
      plugins.append(el("tr", null, el("td", null, name), el("td", null, String(version)),
        el("td", { class: "num" }, String(perPlugin[name] || 0))));
    }

    // documents per language, then what language-aware plugins skipped (info findings)
    const langs = document.getElementById("languages");
    const tally = (counts) => Object.entries(counts).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
    langs.append(el("tr", null, el("th", null, "language"), el("th", null, "documents")));
    for (const [code, n] of tally(DATA.languages.documents)) {
      langs.append(el("tr", null, el("td", null, code), el("td", { class: "num" }, String(n))));
    }
    for (const [plugin, per] of Object.entries(DATA.languages.skipped)) {
      const total = Object.values(per).reduce((a, b) => a + b, 0);
      langs.append(el("tr", { class: "skipped" }, el("td", null, "skipped by " + plugin),
        el("td", { class: "num", title: tally(per).map(([c, n]) => c + " " + n).join(", ") }, String(total))));
    }

    const rejects = document.getElementById("rejects");
    if (!DATA.rejects.length) {
      rejects.replaceWith(el("p", { class: "muted", id: "rejects" }, "No rejects: every input became a document."));
    } else {
      rejects.append(el("tr", null, ...["source", "stage", "plugin", "reason"].map((h) => el("th", null, h))));
      for (const r of DATA.rejects) {
        rejects.append(el("tr", { class: "reject" }, el("td", null, r.source || ""), el("td", null, r.stage || ""),
          el("td", null, r.plugin || ""), el("td", null, r.error || "")));
      }
    }
    return sev;
  }

  /* ---------- filters ---------- */
  function chips(containerId, dimension, entries, swatches) {
    const box = document.getElementById(containerId);
    for (const [name, n] of entries) {
      const input = el("input", { type: "checkbox", "data-filter": dimension, value: name });
      input.checked = true;
      input.addEventListener("change", () => {
        if (input.checked) off[dimension].delete(name); else off[dimension].add(name);
        for (const body of rendered) applyFilters(body);
      });
      const swatch = swatches ? el("span", { class: "swatch" }) : null;
      if (swatch) swatch.style.setProperty("--c", colour(name));
      box.append(el("label", { class: "chip" }, input, swatch, name, el("span", { class: "n" }, String(n))));
    }
    if (!entries.length) box.append(el("span", { class: "muted" }, "none"));
  }

  function filters(sev) {
    chips("f-label", "label", Object.entries(DATA.labels), true);
    chips("f-plugin", "plugin", Object.entries(DATA.by_plugin), false);
    chips("f-severity", "severity", SEVERITIES.map((s) => [s, sev[s] || 0]), false);
  }

  function applyFilters(body) {
    for (const node of body.querySelectorAll("[data-plugin]")) {
      const hide = off.plugin.has(node.dataset.plugin) ||
        (node.dataset.label !== undefined && off.label.has(node.dataset.label)) ||
        (node.dataset.sev !== undefined && off.severity.has(node.dataset.sev));
      node.classList.toggle(node.tagName === "LI" ? "off-f" : "off", hide);
    }
  }

  /* ---------- one document ---------- */
  // Offsets in the data are Python str indices (code points); JS strings index UTF-16.
  function unitIndex(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return { u: (i) => i, n: text.length };
    const map = [0];
    let u = 0;
    for (const ch of text) { u += ch.length; map.push(u); }
    return { u: (i) => map[Math.min(i, map.length - 1)], n: map.length - 1 };
  }

  function fieldText(value) {
    if (value === null || value === undefined) return "null";
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  function makeNode(item, cont) {
    const [kind, , , plugin, a, b] = item.row;
    let node;
    if (item.kind === "finding") {
      const f = item.row;
      node = el("span", { class: item.rel ? "fnd rel" : "fnd", "data-sev": f[0], "data-f": item.fi, "data-plugin": f[5] });
      node.title = (item.rel ? "related to " : "") + f[0] + " · " + f[1] + ": " + f[2];
    } else if (kind === "entity") {
      node = el("mark", { class: "ent", "data-label": a, "data-plugin": plugin });
      node.style.setProperty("--c", colour(String(a)));
      node.title = a + " · " + (b || "(no canonical name)");
    } else if (kind === "quote") {
      node = el("span", { class: "quote", "data-speaker": a, "data-plugin": plugin });
      node.title = "quote · speaker: " + (a || "unknown") + (b ? " · cue: " + b : "");
    } else if (kind === "date") {
      node = el("time", { class: "date", "data-value": a, datetime: a, "data-plugin": plugin });
      node.title = "date · " + (a ? "ISO " + a : "no ISO value");
    } else if (kind === "edit") {
      if (item.start === item.end) {
        node = el("ins", { class: "edit", "data-reason": b, "data-plugin": plugin }, a || "");
        node.title = "inserted by cleaning: " + b;
      } else if (!a) {
        node = el("del", { class: "edit", "data-reason": b, "data-plugin": plugin });
        node.title = "removed by cleaning: " + b;
      } else {
        node = el("span", { class: "edit rep", "data-reason": b, "data-plugin": plugin });
        node.title = b + ": replaced by " + JSON.stringify(a);
      }
    } else {
      // a plugin's own kind: the fields its record type names (report_fields), in order
      node = el("span", { class: "span-other", "data-kind": kind, "data-plugin": plugin });
      const names = (DATA.fields && DATA.fields[kind]) || [];
      node.title = [kind, ...names.map((name, i) => name + ": " + fieldText(item.row[4 + i]))].join(" · ");
    }
    node.dataset.rid = item.key;
    node.dataset.start = item.start;
    node.dataset.end = item.end;
    if (cont) node.classList.add("cont");
    return node;
  }

  /* Lays the text out with every span as an element. Spans nest when they nest;
   * a span that crosses the end of an enclosing one is split: its earlier pieces
   * get class "cut", its later ones class "cont" (one uncontinued element per record). */
  function layoutText(doc) {
    const text = doc.text;
    const { u, n } = unitIndex(text);
    for (const row of doc.spans) {
      if (row[0] === "entity" && row[5] === null) row[5] = text.slice(u(row[1]), u(row[2]));
    }
    const items = [];
    doc.spans.forEach((row, i) => items.push({ kind: row[0], start: row[1], end: row[2], row, key: "s" + i }));
    doc.findings.forEach((row, i) => {
      if (Number.isInteger(row[3]) && Number.isInteger(row[4])) {
        items.push({ kind: "finding", start: row[3], end: row[4], row, key: "f" + i, fi: i });
      }
      (row[6] || []).forEach(([start, end], j) => {
        items.push({ kind: "finding", start, end, row, key: "f" + i + "r" + j, fi: i, rel: true });
      });
    });
    const opens = new Map(), closes = new Map(), leaves = new Map(), points = new Set([0, n]);
    const add = (map, key, item) => { if (!map.has(key)) map.set(key, []); map.get(key).push(item); };
    for (const it of items) {
      if (!(it.start >= 0 && it.end <= n && it.start <= it.end)) continue;
      points.add(it.start); points.add(it.end);
      if (it.start === it.end) add(leaves, it.start, it);
      else { add(opens, it.start, it); add(closes, it.end, it); }
    }
    const root = el("div", { class: "text" });
    const stack = [];
    const top = () => (stack.length ? stack[stack.length - 1].node : root);
    let pos = 0;
    for (const p of Array.from(points).sort((x, y) => x - y)) {
      if (p > pos) { top().append(text.slice(u(pos), u(p))); pos = p; }
      const ending = closes.get(p);
      if (ending) {
        const done = new Set(ending);
        const lowest = stack.findIndex((e) => done.has(e.item));
        if (lowest >= 0) {
          const reopen = stack.splice(lowest).filter((e) => !done.has(e.item));
          for (const e of reopen) {
            e.node.classList.add("cut");
            const node = makeNode(e.item, true);
            top().append(node);
            stack.push({ item: e.item, node });
          }
        }
      }
      for (const it of leaves.get(p) || []) top().append(makeNode(it, false));
      const starting = opens.get(p);
      if (starting) {
        starting.sort((x, y) => y.end - x.end || (PRIORITY[x.kind] ?? 5) - (PRIORITY[y.kind] ?? 5));
        for (const it of starting) {
          const node = makeNode(it, false);
          top().append(node);
          stack.push({ item: it, node });
        }
      }
    }
    return root;
  }

  function findingsAside(doc, textNode) {
    const aside = el("aside", { class: "findings" }, el("h3", null, plural(doc.findings.length, "finding")));
    if (!doc.findings.length) aside.append(el("p", { class: "muted" }, "No findings."));
    const list = el("ol");
    const order = doc.findings.map((f, i) => i).sort((x, y) =>
      (doc.findings[x][3] ?? -1) - (doc.findings[y][3] ?? -1) || x - y);
    for (const i of order) {
      const [sev, code, message, start, end, plugin, related] = doc.findings[i];
      const hasSpan = (Number.isInteger(start) && Number.isInteger(end)) || Boolean(related && related.length);
      const button = el("button", { type: "button", "data-f": i },
        el("span", { class: "sev " + sev }, sev), " ", el("span", { class: "code" }, code), " ",
        message, el("span", { class: "muted" }, " · " + (plugin || "docmill") +
          (Number.isInteger(start) ? " · " + start + "–" + end : hasSpan ? "" : " · whole document") +
          (related && related.length ? " · " + plural(related.length, "related span") : "")));
      if (hasSpan) {
        button.addEventListener("click", () => {
          const spans = textNode.querySelectorAll('.fnd[data-f="' + i + '"]');
          if (!spans.length) return;
          (textNode.querySelector('.fnd[data-f="' + i + '"]:not(.rel)') || spans[0]).scrollIntoView({ block: "center" });
          for (const target of spans) {
            target.classList.remove("flash");
            void target.offsetWidth;
            target.classList.add("flash");
          }
        });
      } else {
        button.disabled = true;
      }
      list.append(el("li", { "data-sev": sev, "data-plugin": plugin, class: "finding" }, button));
    }
    aside.append(list);
    return aside;
  }

  function renderBody(details) {
    if (details.dataset.rendered) return;
    details.dataset.rendered = "1";
    const doc = loadBody(Number(details.dataset.index));
    const textNode = layoutText(doc);
    // right-to-left text (Arabic, Hebrew) runs right to left; lang picks the fonts (CJK)
    const language = DATA.docs[Number(details.dataset.index)].language;
    textNode.setAttribute("dir", "auto");
    if (language && language !== "und" && language !== "mul") textNode.setAttribute("lang", language);
    const main = el("div", null, textNode, el("p", { class: "legend" },
      "highlight = entity (label; canonical name on hover) · underline = quote — speaker · " +
      "dotted = date [ISO value] · struck through = removed by cleaning [reason] · wavy = finding"));
    const body = el("div", { class: "doc-body" }, main, findingsAside(doc, textNode));
    applyFilters(body);
    rendered.push(body);
    details.append(body);
  }

  function documents() {
    const box = document.getElementById("documents");
    const entries = [];
    const frag = document.createDocumentFragment();
    DATA.docs.forEach((doc, i) => {
      const counts = doc.n, sev = doc.sev;
      const title = doc.title || doc.source || doc.id;
      const meta = [doc.source, doc.published, doc.language,
        (counts.entity || 0) + ((counts.entity || 0) === 1 ? " entity" : " entities"),
        plural(counts.quote || 0, "quote"), plural(counts.date || 0, "date")].filter(Boolean).join(" · ");
      const summary = el("summary", null, el("span", { class: "title", dir: "auto" }, title), el("span", { class: "meta" }, meta),
        ...SEVERITIES.filter((s) => sev[s]).map((s) => el("span", { class: "sev " + s }, plural(sev[s], s))));
      const details = el("details", { class: "doc", id: "doc-" + doc.id, "data-index": i }, summary);
      details.addEventListener("toggle", () => { if (details.open) renderBody(details); });
      entries.push({ details, doc, key: (String(title) + "\n" + (doc.source || "")).toLowerCase() });
      frag.append(details);
    });
    box.append(frag);
    const shown = document.getElementById("shown");
    const total = entries.length;
    shown.textContent = plural(total, "document");
    document.getElementById("search").addEventListener("input", (ev) => {
      const q = ev.target.value.trim().toLowerCase();
      let visible = 0;
      for (const e of entries) {
        const hit = !q || e.key.includes(q);
        e.details.classList.toggle("hidden", !hit);
        if (hit) visible++;
      }
      shown.textContent = q ? visible + " of " + plural(total, "document") : plural(total, "document");
    });
    const wanted = location.hash.startsWith("#doc-") ? document.getElementById(location.hash.slice(1)) : null;
    const first = wanted || (entries.length ? entries[0].details : null);
    if (first) {
      renderBody(first);
      first.open = true;
    }
  }

  const sev = overview();
  filters(sev);
  documents();
  document.documentElement.dataset.ready = "1";
  if (window.performance && performance.mark) {
    performance.mark("docmill-ready");
    requestAnimationFrame(() => setTimeout(() => performance.mark("docmill-painted"), 0));
  }
})();
