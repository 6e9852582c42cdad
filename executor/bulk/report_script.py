"""The bulk report page's script: lists that load their rows from the data files on demand.

Kept as a Python string (inlined into report.html) because the package ships no data files. It
builds every element with `textContent`, never `innerHTML`: keys and errors are someone else's
text (a CSV cell, a page's message). The data files call `RunbookReport.page/detail/keys`
(shapes: report_data); a file is asked for with a `<script>` tag the first time it is needed,
since browsers refuse `fetch()` on `file://`.
"""

SCRIPT = r"""
"use strict";
(function () {
  const M = JSON.parse(document.getElementById("report-manifest").textContent);
  const store = {};
  const asked = {};
  window.RunbookReport = {
    page(coll, n, items) { store[coll + "/page/" + n] = items; },
    detail(coll, n, items) { store[coll + "/detail/" + n] = items; },
    keys(coll, keys) { store[coll + "/keys"] = keys; },
  };

  function load(file) {
    if (!asked[file]) {
      asked[file] = new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = M.data + "/" + file + "?v=" + M.build;
        s.onload = () => resolve();
        s.onerror = () => {
          delete asked[file];
          reject(new Error("cannot read " + M.data + "/" + file + ": keep the " + M.data + " folder beside report.html"));
        };
        document.head.appendChild(s);
      });
    }
    return asked[file];
  }
  const pad = (n) => String(n).padStart(4, "0");

  // --- small DOM helpers -------------------------------------------------------------------------
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k === "cls") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false || c === "") continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  const badge = (status, text) => el("span", { cls: "status " + status, text: text || status });
  const clock = (at) => {
    if (!at) return "";
    const d = new Date(at * 1000);
    const two = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  };
  const ms = (v) => (v >= 1000 ? (v / 1000).toFixed(2) + " s" : Math.round(v || 0) + " ms");
  const num = (n) => Number(n).toLocaleString("en-US");
  const join = (dir, path) => (dir ? dir + "/" + path : path);
  function thumb(src, label, cls) {
    if (!src) return null;
    return el("a", { href: src, target: "_blank", title: label || "screenshot" },
      el("img", { cls: cls || "thumb", src: src, loading: "lazy", alt: label || "screenshot" }));
  }

  // The step the row's last job failed at. A row that still changed or was unchanged (the portal,
  // read afterwards, showed the change had happened) shows it as a remark, not as the outcome.
  function failedStep(e) {
    if (!e.fstep) return null;
    const ok = e.s === "changed" || e.s === "unchanged";
    return el("div", { cls: ok ? "muted small" : "fstep", text: (ok ? "its job failed at step " : "step ") + e.fstep });
  }

  // --- one list (rows, or the jobs outside rows) --------------------------------------------------
  class List {
    constructor(section, coll) {
      this.section = section;
      this.coll = coll;
      this.meta = M[coll];
      this.screen = M.screen;
      this.state = { status: "", q: "", p: 0 };
      this.body = section.querySelector("tbody");
      this.count = section.querySelector(".count");
      this.pager = section.querySelector(".pager");
      this.chips = section.querySelector(".chips");
      this.search = section.querySelector("input[type=search]");
      this.columns = section.querySelectorAll("thead th").length;
      this.drawChips();
      let timer = null;
      this.search.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.set({ q: this.search.value.trim(), p: 0 }), 150);
      });
      this.search.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") { clearTimeout(timer); this.set({ q: this.search.value.trim(), p: 0 }); }
      });
    }

    drawChips() {
      const groups = this.meta.groups;
      const chip = (status, label, n) => el("button", {
        type: "button", cls: "chip " + (status || "all"), "data-status": status,
        "aria-pressed": String(this.state.status === status),
        onclick: () => this.set({ status: status, p: 0 }),
      }, label + " ", el("b", { text: num(n) }));
      this.chips.replaceChildren(chip("", "all", this.meta.total), ...groups.map(([s, , n]) => chip(s, s, n)));
    }

    set(change) {
      Object.assign(this.state, change);
      if (this.search.value.trim() !== this.state.q) this.search.value = this.state.q;
      if (this.onchange) this.onchange(this.state);
      for (const b of this.chips.querySelectorAll(".chip")) {
        b.setAttribute("aria-pressed", String(b.dataset.status === this.state.status));
      }
      return this.draw();
    }

    range() {
      if (!this.state.status) return [0, this.meta.total];
      const g = this.meta.groups.find(([s]) => s === this.state.status);
      return g ? [g[1], g[1] + g[2]] : [0, 0];
    }

    async view() {
      const [start, end] = this.range();
      const q = this.state.q.toLowerCase();
      if (!q) return { count: end - start, at: (i) => start + i };
      await load(this.coll + "-keys.js");
      const keys = store[this.coll + "/keys"];
      // Rows: a key contains the text, or the row number is it; jobs: the job id or the runbook.
      const match = this.coll === "rows"
        ? (a, b) => String(b).toLowerCase().includes(q) || String(a) === q
        : (a, b) => String(b).toLowerCase().includes(q) || String(a).toLowerCase().includes(q);
      const hits = [];
      for (let p = start; p < end; p++) if (match(keys[p][0], keys[p][1])) hits.push(p);
      return { count: hits.length, at: (i) => hits[i] };
    }

    async draw() {
      const ticket = (this.ticket = {});
      let view;
      try {
        view = await this.view();
        const pages = Math.max(1, Math.ceil(view.count / this.screen));
        if (this.state.p >= pages) this.state.p = pages - 1;
        const first = this.state.p * this.screen;
        const positions = [];
        for (let i = first; i < Math.min(first + this.screen, view.count); i++) positions.push(view.at(i));
        const files = [...new Set(positions.map((p) => Math.floor(p / this.meta.page) + 1))];
        await Promise.all(files.map((n) => load(`${this.coll}-${pad(n)}.js`)));
        if (ticket !== this.ticket) return; // a newer draw started while this one waited
        const rows = positions.map((p) => this.row(p, this.entry(p)));
        this.body.replaceChildren(...rows);
        if (!rows.length) this.body.append(el("tr", { cls: "empty" }, el("td", { colspan: this.columns, text: "Nothing matches." })));
        this.count.textContent = view.count
          ? `${num(first + 1)}–${num(first + positions.length)} of ${num(view.count)}${this.state.q || this.state.status ? " matching" : ""}`
          : "0 matching";
        this.drawPager(pages);
      } catch (err) {
        if (ticket !== this.ticket) return;
        this.body.replaceChildren(el("tr", { cls: "empty" }, el("td", { colspan: this.columns, cls: "load-error", text: String(err.message || err) })));
      }
    }

    entry(p) {
      return store[`${this.coll}/page/${Math.floor(p / this.meta.page) + 1}`][p % this.meta.page];
    }

    drawPager(pages) {
      const p = this.state.p;
      const go = (to) => () => this.set({ p: to });
      this.pager.replaceChildren(
        el("button", { type: "button", text: "« first", disabled: p === 0, onclick: go(0) }),
        el("button", { type: "button", text: "‹ previous", disabled: p === 0, onclick: go(p - 1) }),
        el("span", { text: `page ${num(p + 1)} of ${num(pages)}` }),
        el("button", { type: "button", text: "next ›", disabled: p >= pages - 1, onclick: go(p + 1) }),
        el("button", { type: "button", text: "last »", disabled: p >= pages - 1, onclick: go(pages - 1) }),
      );
    }

    row(p, e) {
      const toggle = el("button", { type: "button", cls: "expand", "aria-expanded": "false", title: "show the steps" }, "▸");
      const cells = this.coll === "rows" ? this.rowCells(e) : this.jobCells(e);
      const tr = el("tr", { cls: "entry " + e.s, "data-pos": p, "data-key": this.coll === "rows" ? e.key : e.job },
        el("td", { cls: "first" }, toggle, " ", this.coll === "rows" ? String(e.row) : ""), ...cells);
      const open = () => this.expand(tr, toggle, p);
      toggle.addEventListener("click", (ev) => { ev.stopPropagation(); open(); });
      tr.addEventListener("click", (ev) => { if (!ev.target.closest("a")) open(); });
      return tr;
    }

    rowCells(e) {
      // Tries: the jobs run for the row (a strategy retries within a session), or the sessions
      // that started it when that is more; then the steps the engine retried inside them.
      const tries = Math.max(e.jobs || 0, e.attempts || 0);
      const attempts = [tries ? String(tries) : "",
        e.retries ? el("div", { cls: "muted", text: `${e.retries} step retr${e.retries > 1 ? "ies" : "y"}` }) : null];
      return [
        el("td", { cls: "key", text: e.key }),
        el("td", {}, badge(e.s)),
        el("td", { cls: "reason" }, el("div", { cls: "clamp", text: e.reason || "" }), failedStep(e)),
        el("td", { text: [e.before, e.after].filter(Boolean).join(" → ") }),
        el("td", { text: e.worker || "" }),
        el("td", {}, ...attempts),
        el("td", { cls: "when", text: clock(e.finished) }),
        el("td", {}, thumb(e.shot, "row " + e.row, "thumb small")),
      ];
    }

    jobCells(e) {
      return [
        el("td", { cls: "key", text: e.job }),
        el("td", { text: e.rb || "" }),
        el("td", {}, badge(e.s)),
        el("td", { cls: "reason" }, el("div", { cls: "clamp", text: e.err || "" }), e.fstep ? el("div", { cls: "fstep", text: "step " + e.fstep }) : null),
        el("td", { cls: "when", text: clock(e.at) }),
        el("td", { text: e.ms ? ms(e.ms) : "" }),
        el("td", {}, thumb(e.shot, e.job, "thumb small")),
      ];
    }

    async expand(tr, toggle, p) {
      const next = tr.nextElementSibling;
      if (next && next.classList.contains("detail")) {
        next.remove();
        toggle.setAttribute("aria-expanded", "false");
        toggle.textContent = "▸";
        return;
      }
      toggle.setAttribute("aria-expanded", "true");
      toggle.textContent = "▾";
      const cell = el("td", { colspan: this.columns, text: "loading the steps…" });
      const detail = el("tr", { cls: "detail" }, cell);
      tr.after(detail);
      const n = Math.floor(p / this.meta.detail) + 1;
      try {
        await load(`${this.coll}-steps-${pad(n)}.js`);
        const d = store[`${this.coll}/detail/${n}`][p % this.meta.detail];
        cell.replaceChildren(...renderDetail(d));
      } catch (err) {
        cell.replaceChildren(el("div", { cls: "load-error", text: String(err.message || err) }));
      }
    }
  }

  // --- a row's detail: its operations, its jobs and their steps ----------------------------------
  function renderDetail(d) {
    const out = [];
    if (d.ops && d.ops.length) {
      out.push(el("div", { cls: "ops-of-row" }, el("strong", { text: "Operations " }),
        ...d.ops.map((o) => el("div", { cls: "op " + o.outcome },
          badge({ done: "passed", unknown: "warned", not_done: "skipped" }[o.outcome] || "failed", o.outcome),
          ` op ${o.id} ${o.kind}${o.tier ? " " + o.tier : ""}${o.quantity ? " × " + o.quantity : ""}: `,
          el("code", { text: JSON.stringify(o.intent) }),
          o.detail ? " — " + o.detail : "",
          o.verified ? el("span", { cls: "badge", text: "read from the portal" }) : null))));
    }
    if (!d.jobs.length) out.push(el("p", { cls: "muted", text: "No job ran for this row (decided by the plan, or not reached)." }));
    // The last job decided the row: open; earlier attempts stay folded.
    d.jobs.forEach((job, i) => out.push(renderJob(job, i === d.jobs.length - 1)));
    return out;
  }

  function renderJob(job, open) {
    const steps = job.steps || [];
    const retries = {};
    for (const r of job.retries || []) (retries[r.id] = retries[r.id] || []).push(r);
    const status = job.s || "failed";
    const summary = el("summary", {}, badge(status), " ", el("strong", { text: job.job }), " ",
      el("span", { cls: "loc", text: job.rb || "" }), job.ms ? el("span", { cls: "muted", text: " · " + ms(job.ms) }) : null,
      job.at ? el("span", { cls: "muted", text: " · " + clock(job.at) }) : null);
    const meta = el("dl", { cls: "meta" });
    const add = (k, v) => { if (v) meta.append(el("dt", { text: k }), el("dd", {}, v)); };
    add("runbook", job.path);
    add("steps", steps.length + " finished" + (job.nr ? `, ${job.nr} not run` : ""));
    for (const [k, v] of Object.entries(job.params || {})) add("param " + k, v);
    for (const [k, v] of Object.entries(job.out || {})) add("output " + k, v);
    add("done", job.done);
    if (job.exp) add("session", "expired during this job");
    for (const t of job.trace || []) add("trace", el("a", { href: t, text: t.split("/").pop() }));
    if (job.s === undefined) add("end", "the job did not finish (the run stopped or crashed)");
    const body = [meta];
    if (job.perf) body.push(el("p", { cls: "performed", text: "⚠ " + job.perf }));
    if (job.err) body.push(el("pre", { cls: "error", text: job.err }));
    const table = el("table", { cls: "steps" },
      el("colgroup", {}, ...["step", "action", "checks", "time", "shot"].map((c) => el("col", { cls: c }))),
      el("thead", {}, el("tr", {}, ...["Step", "Action", "Checks & locators", "Time", "Screenshot"].map((h) => el("th", { text: h })))),
      el("tbody", {}, ...steps.map((s) => renderStep(s, job, retries[s.id] || []))));
    body.push(table);
    return el("details", { cls: "job " + status, open: open }, summary, ...body);
  }

  function renderStep(s, job, retries) {
    const first = el("td", {}, badge(s.s), " ", el("strong", { text: s.id }), " ", s.t,
      el("div", { cls: "loc", text: [s.loc, ...(s.ch || [])].filter(Boolean).join(" ← ") }),
      s.r ? el("div", { cls: "reason", text: s.r }) : null,
      s.n ? el("div", { cls: "note", text: s.n + " attempts" }) : null,
      ...retries.map((r) => el("div", { cls: "note", text: `attempt ${r.n} failed: ${r.err}` })),
      ...(s.no || []).map((n) => el("div", { cls: "note", text: n })),
      s.rounds !== undefined ? el("div", { cls: "note", text: s.rounds + " round(s)" }) : null);
    const action = el("td", {}, el("code", { text: s.a || "" }), s.tg ? " " : "", s.tg ? el("code", { text: s.tg }) : null,
      s.x ? el("span", { cls: "badge fallback", text: "destructive" }) : null,
      ...Object.entries(s.v || {}).map(([k, v]) => el("div", { cls: "loc", text: `vars.${k} = ${v}` })));
    const checks = el("td", {},
      s.chk ? el("ul", { cls: "asserts" }, ...s.chk.map(([st, exp, det]) =>
        el("li", { cls: st }, exp, st === "not_checked" ? " (not checked)" : "", det ? el("em", { text: ": " + det }) : null))) : null,
      ...(s.dl || []).map((t) => el("div", { cls: "dialog", text: t })),
      ...(s.m || []).map(([target, desc, label, fallback]) => el("div", {}, el("code", { text: target }), " → ",
        el("span", { cls: "loc", text: desc }), " ", el("span", { cls: "badge" + (fallback ? " fallback" : ""), text: label }))),
      s.err ? el("pre", { cls: "error", text: s.err }) : null,
      s.y ? el("pre", { text: s.y }) : null,
      ...(s.ln || []).map(([label, href]) => el("a", { cls: "link", href: href, target: "_blank", text: label })),
      s.s === "failed" ? (job.trace || []).map((t) => el("a", { cls: "link", href: t, text: "trace" })) : null);
    const shots = el("td", {}, ...(s.img || []).map(([path, label]) => thumb(join(job.dir, path), label)));
    return el("tr", { cls: `step ${s.s} depth-${Math.min(s.d || 0, 2)}` }, first, action, checks,
      el("td", { cls: "timings", text: ms(s.ms || 0) }), shots);
  }

  // --- the page: both lists, the rows' state in the address (#status=failed&q=...) ---------------
  const lists = {};
  for (const section of document.querySelectorAll("section.list")) {
    lists[section.dataset.coll] = new List(section, section.dataset.coll);
  }
  const rows = lists.rows;
  function fromHash() {
    const h = new URLSearchParams(location.hash.slice(1));
    return { status: h.get("status") || "", q: h.get("q") || "", p: Math.max(0, (parseInt(h.get("p") || "1", 10) || 1) - 1) };
  }
  if (rows) {
    rows.onchange = (st) => {
      const h = new URLSearchParams();
      if (st.status) h.set("status", st.status);
      if (st.q) h.set("q", st.q);
      if (st.p) h.set("p", String(st.p + 1));
      const hash = h.toString();
      if (location.hash.slice(1) !== hash) history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    };
    window.addEventListener("hashchange", () => {
      rows.set(fromHash());
      rows.section.scrollIntoView();
    });
    rows.set(fromHash());
  }
  for (const [name, list] of Object.entries(lists)) if (name !== "rows") list.draw();
})();
"""
