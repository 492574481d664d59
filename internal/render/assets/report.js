// The interactive part of the HTML report. It reads the report from the
// JSON data block and builds every element with createElement and
// textContent: no text from the report is ever parsed as HTML.
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "none"];
  var RANK = { fatal: 6, error: 5, warn: 4, info: 3, debug: 2, trace: 1, none: 0 };
  var PAGE = 500;

  var raw = document.getElementById("report-data").textContent;
  var R = JSON.parse(raw);
  var S = R.summary;
  var events = R.events || [];
  var services = R.services || [];
  var hops = R.hops || [];

  // ---- small DOM builders -------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return parent;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function lvl(l) { return RANK.hasOwnProperty(l) && l !== "" ? l : "none"; }

  // ---- time ---------------------------------------------------------------
  function parseTime(s) {
    if (!s) return null;
    var m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
    if (!m) { var t = Date.parse(s); return isNaN(t) ? null : t; }
    var frac = m[2] || "0";
    var base = Date.parse(m[1] + m[3]);
    return base + Number("0." + frac) * 1000;
  }
  var t0 = parseTime(S.start);
  var t1 = parseTime(S.end);
  for (var i = 0; i < events.length; i++) {
    var ev = events[i];
    ev._i = i;
    ev._t = parseTime(ev.time);
    ev._off = ev._t === null || t0 === null ? null : ev._t - t0;
    ev._lv = lvl(ev.level);
    ev._first = String(ev.message || "").split("\n")[0];
    ev._search = null;
  }
  function fmtOff(ms) {
    if (ms === null || ms === undefined) return "untimed";
    return (ms < 0 ? "-" : "+") + (Math.abs(ms) / 1000).toFixed(3) + "s";
  }
  function fmtDur(ms) {
    if (ms === null || ms === undefined) return "";
    if (ms === 0) return "0 ms";
    if (ms < 1) return ms.toFixed(3) + " ms";
    if (ms < 1000) return Math.round(ms) + " ms";
    if (ms < 60000) return (ms / 1000).toFixed(3) + " s";
    var s = Math.round(ms / 1000);
    return Math.floor(s / 60) + "m" + (s % 60) + "s";
  }
  function fmtBytes(n) {
    var u = ["B", "KB", "MB", "GB", "TB"], i = 0;
    while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
    return (i === 0 ? n : n < 10 ? n.toFixed(1) : Math.round(n)) + " " + u[i];
  }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  // ---- theme --------------------------------------------------------------
  var root = document.documentElement;
  function setTheme(t) { root.setAttribute("data-theme", t); }
  var wanted = /(?:^#|&)theme=(dark|light)/.exec(location.hash);
  if (wanted) setTheme(wanted[1]);
  else if (window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches) setTheme("dark");
  else setTheme("light");

  var app = document.getElementById("app");
  var tip = el("div", "tip"); tip.hidden = true; document.body.appendChild(tip);
  function showTip(x, y, text) {
    tip.textContent = text; tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = Math.max(4, Math.min(x + 14, window.innerWidth - w - 8)) + "px";
    tip.style.top = Math.max(4, Math.min(y + 14, window.innerHeight - h - 8)) + "px";
  }
  function hideTip() { tip.hidden = true; }

  // ---- header -------------------------------------------------------------
  var errServices = {};
  services.forEach(function (s) { if (s.errors > 0) errServices[s.name] = true; });
  document.title = "pipetracker · " + S.id;
  var header = el("header");
  var toolbar = el("div", "toolbar");
  var themeBtn = el("button", null, "light / dark");
  themeBtn.id = "theme-toggle";
  themeBtn.addEventListener("click", function () {
    setTheme(root.getAttribute("data-theme") === "dark" ? "light" : "dark");
  });
  var dl = el("button", null, "download JSON");
  dl.addEventListener("click", function () {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([raw], { type: "application/json" }));
    a.download = "trace_" + String(S.id).replace(/[^A-Za-z0-9._-]/g, "_") + ".json";
    document.body.appendChild(a); a.click(); a.remove();
  });
  var printBtn = el("button", null, "print");
  printBtn.addEventListener("click", function () { window.print(); });
  add(toolbar, themeBtn, dl, printBtn);
  var h1 = el("h1");
  var idSpan = el("span", "mono", S.id); idSpan.id = "trace-id";
  var figs = [plural(S.services, "service", "services"), plural(S.events, "event", "events")];
  if (S.start) figs.push(String(S.start).replace("T", " ") + " (" + fmtDur(S.duration_ms) + ")");
  figs.push(plural(S.errors, "error", "errors"));
  add(h1, idSpan, el("span", "figures", figs.join(" · ")));
  var path = el("div", "path");
  (S.path || []).forEach(function (name, i) {
    if (i > 0) add(path, " → ");
    add(path, el("span", errServices[name] ? "err" : null, errServices[name] ? name + " ✗" : name));
  });
  if (!S.path || S.path.length === 0) add(path, el("span", "empty", "no events found"));
  var src = S.sources || {};
  var scanned = ["scanned " + plural(src.files || 0, "file", "files") + " (" + fmtBytes(S.bytes_scanned || 0) + ") in " + fmtDur(S.elapsed_ms)];
  if (src.skipped) scanned.push(src.skipped + " skipped");
  if (src.failed) scanned.push(plural(src.failed, "source", "sources") + " failed");
  scanned.push(src.truncated ? "truncated" : "nothing truncated");
  if (R.linked_ids && R.linked_ids.length) scanned.push("linked ids: " + R.linked_ids.map(function (l) { return l.key; }).join(", "));
  if (R.warnings && R.warnings.length) scanned.push(plural(R.warnings.length, "warning", "warnings"));
  add(header, toolbar, h1, path, el("div", "scanned", scanned.join(" · ")));
  app.appendChild(header);

  var main = el("main");
  app.appendChild(main);

  // ---- service colours ----------------------------------------------------
  var PALETTE = ["#3b82f6", "#8b5cf6", "#0891b2", "#16a34a", "#db2777", "#ea580c", "#4f46e5", "#0d9488"];
  var colorOf = {};
  services.forEach(function (s, i) { colorOf[s.name] = PALETTE[i % PALETTE.length]; });

  // ---- service flow graph -------------------------------------------------
  function flowGraph() {
    var card = el("div", "card"); card.id = "flow";
    add(card, add(el("h2", null, "Service flow"), el("span", "hint", "size = events, red = errors")));
    if (services.length === 0) { add(card, el("div", "empty", "no services")); return card; }
    var agg = {}, order = [];
    hops.forEach(function (h) {
      var k = h.from + "\u0000" + h.to;
      if (!agg[k]) { agg[k] = { from: h.from, to: h.to, n: 0, gaps: [] }; order.push(k); }
      agg[k].n++; agg[k].gaps.push(h.gap_ms);
    });
    var idx = {}; services.forEach(function (s, i) { idx[s.name] = i; });
    var maxEv = Math.max.apply(null, services.map(function (s) { return s.events; }));
    var rowH = 64, W = 380, cx = 130, top = 30;
    var H = top + rowH * (services.length - 1) + 40;
    var svg = sv("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "service flow graph" });
    svg.id = "flow-svg";
    svg.style.maxHeight = Math.max(240, H) + "px";
    var defs = sv("defs");
    ["n", "e"].forEach(function (kind) {
      var m = sv("marker", { id: "arrow-" + kind, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
      m.appendChild(sv("path", { d: "M0,0 L10,5 L0,10 z", "class": kind === "e" ? "lv-error" : "lv-none" }));
      defs.appendChild(m);
    });
    svg.appendChild(defs);
    function radius(s) { return 9 + 17 * Math.sqrt(s.events / maxEv); }
    var pos = services.map(function (s, i) { return { x: cx, y: top + i * rowH, r: radius(s) }; });
    // An arc diagram: edges between neighbours go straight down with their
    // label on the left; every other edge is an arc on the right, each a
    // little further out than the one before, labelled at its apex.
    var arcs = 0, placed = [];
    // free moves a label down or up until it overlaps none placed so far.
    function free(x, y, w) {
      for (var step = 0; step < 40; step++) {
        var cand = y + (step % 2 ? 1 : -1) * Math.ceil(step / 2) * 13;
        var clash = placed.some(function (b) { return Math.abs(b.y - cand) < 13 && x < b.x + b.w && b.x < x + w; });
        if (!clash) { placed.push({ x: x, y: cand, w: w }); return cand; }
      }
      return y;
    }
    order.forEach(function (k) {
      var a = agg[k], p = pos[idx[a.from]], q = pos[idx[a.to]];
      if (!p || !q || p === q) return;
      var gaps = a.gaps.slice().sort(function (x, y) { return x - y; });
      var med = gaps[Math.floor(gaps.length / 2)];
      var label = a.n + "×, " + fmtDur(med);
      var err = !!errServices[a.to];
      var d, lx, ly, anchor = "start";
      var dy = q.y - p.y;
      if (dy === rowH) {
        d = "M" + p.x + "," + (p.y + p.r) + " L" + q.x + "," + (q.y - q.r - 1);
        lx = p.x - 8; ly = (p.y + p.r + q.y - q.r) / 2 + 4; anchor = "end";
      } else {
        var out = Math.min(W - cx - 80, 34 + Math.abs(dy) * 0.18 + 12 * (arcs++ % 8));
        var sy = dy > 0 ? 1 : -1;
        var x0 = p.x + p.r * 0.8, y0 = p.y + sy * p.r * 0.6, x1 = q.x + q.r * 0.8, y1 = q.y - sy * q.r * 0.6;
        d = "M" + x0 + "," + y0 + " C" + (cx + out * 1.33) + "," + y0 + " " + (cx + out * 1.33) + "," + y1 + " " + x1 + "," + y1;
        lx = cx + out + 4; ly = free(lx, (p.y + q.y) / 2 + 4, label.length * 6.5);
      }
      var path = sv("path", { d: d, "class": "edge" + (err ? " err" : ""), "marker-end": "url(#arrow-" + (err ? "e" : "n") + ")" });
      var g = sv("g", { "class": "edge-g" });
      g.appendChild(path);
      g.appendChild(sv("text", { x: lx, y: ly, "class": "muted", "text-anchor": anchor }, label));
      g.addEventListener("mousemove", function (e) { showTip(e.clientX, e.clientY, a.from + " → " + a.to + "\n" + a.n + " hop(s); median gap " + fmtDur(med) + ", longest " + fmtDur(gaps[gaps.length - 1])); });
      g.addEventListener("mouseleave", hideTip);
      svg.appendChild(g);
    });
    services.forEach(function (s, i) {
      var p = pos[i];
      var g = sv("g", { "class": "node" });
      var c = sv("circle", { cx: p.x, cy: p.y, r: p.r, fill: s.errors > 0 ? "var(--error)" : colorOf[s.name] });
      g.appendChild(c);
      var shorter = s.name.length > 16 ? s.name.slice(0, 15) + "…" : s.name;
      g.appendChild(sv("text", { x: p.x - p.r - 8, y: p.y - 2, "text-anchor": "end" }, shorter + (s.errors > 0 ? " ✗" : "")));
      g.appendChild(sv("text", { x: p.x - p.r - 8, y: p.y + 13, "class": "muted", "text-anchor": "end" }, plural(s.events, "event", "events") + (s.errors ? ", " + plural(s.errors, "error", "errors") : "")));
      g.addEventListener("mousemove", function (e) { showTip(e.clientX, e.clientY, s.name + "\n" + plural(s.events, "event", "events") + ", " + plural(s.errors, "error", "errors") + "\nfirst " + (s.first || "untimed") + "\nlast " + (s.last || "untimed")); });
      g.addEventListener("mouseleave", hideTip);
      svg.appendChild(g);
    });
    card.appendChild(svg);
    return card;
  }

  // ---- swimlane timeline --------------------------------------------------
  function timeline() {
    var card = el("div", "card"); card.id = "timeline";
    var reset = el("button", null, "reset zoom");
    add(card, add(el("h2", null, "Timeline"), el("span", "hint", "wheel to zoom, drag to pan, hover for the message"), reset));
    var timed = events.filter(function (e) { return e._off !== null; });
    if (timed.length === 0 || services.length === 0) { add(card, el("div", "empty", "no timed events")); return card; }
    var laneOf = {}; services.forEach(function (s, i) { laneOf[s.name] = i; });
    var labelW = 110, laneH = 28, axisH = 24, W = 900;
    var H = axisH + laneH * services.length + 6;
    var svg = sv("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "timeline" });
    svg.id = "timeline-svg";
    svg.style.height = H + "px";
    var defs = sv("defs");
    var m = sv("marker", { id: "hop-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto" });
    m.appendChild(sv("path", { d: "M0,0 L10,5 L0,10 z", fill: "var(--accent)" }));
    defs.appendChild(m);
    var clip = sv("clipPath", { id: "plot-clip" });
    var clipRect = sv("rect", { x: labelW, y: 0, width: W - labelW - 6, height: H });
    clip.appendChild(clipRect);
    defs.appendChild(clip);
    svg.appendChild(defs);
    var lanes = sv("g");
    svg.appendChild(lanes);
    var axis = sv("g", { "class": "axis" });
    var plot = sv("g", { "clip-path": "url(#plot-clip)" });
    svg.appendChild(axis); svg.appendChild(plot);
    var span = Math.max(timed[timed.length - 1]._off, 1);
    var minOff = Math.min(0, timed[0]._off);
    var view = { a: minOff - span * 0.02, b: span * 1.02 };
    var full = { a: view.a, b: view.b };
    var plotW = W - labelW - 10;
    function x(off) { return labelW + (off - view.a) / (view.b - view.a) * plotW; }
    function pxToOff(px) { return view.a + (px - labelW) / plotW * (view.b - view.a); }
    function niceStep(range) {
      var raw = range / 8, p = Math.pow(10, Math.floor(Math.log10(raw))), n = raw / p;
      return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * p;
    }
    // measure fits the drawing to the width the page gives the timeline,
    // so that text keeps its size.
    function measure() {
      var w = Math.round(svg.getBoundingClientRect().width);
      if (w > 0) W = Math.max(360, w);
      plotW = W - labelW - 10;
      svg.setAttribute("viewBox", "0 0 " + W + " " + H);
      clipRect.setAttribute("width", String(W - labelW - 6));
      while (lanes.firstChild) lanes.removeChild(lanes.firstChild);
      services.forEach(function (s, i) {
        var y = axisH + i * laneH;
        if (i % 2 === 0) lanes.appendChild(sv("rect", { x: 0, y: y, width: W, height: laneH, "class": "lane-bg" }));
        lanes.appendChild(sv("text", { x: 6, y: y + laneH / 2 + 4, fill: colorOf[s.name] }, s.name.length > 15 ? s.name.slice(0, 14) + "…" : s.name));
      });
    }
    function draw() {
      while (axis.firstChild) axis.removeChild(axis.firstChild);
      while (plot.firstChild) plot.removeChild(plot.firstChild);
      var step = niceStep(view.b - view.a);
      for (var v = Math.ceil(view.a / step) * step; v <= view.b; v += step) {
        var px = x(v);
        axis.appendChild(sv("line", { x1: px, x2: px, y1: axisH - 4, y2: H }));
        axis.appendChild(sv("text", { x: px > W - 60 ? px - 2 : px + 2, y: axisH - 8, "class": "muted", "text-anchor": px > W - 60 ? "end" : "start" }, (v / 1000).toFixed(step < 1 ? 4 : step < 10 ? 3 : step < 100 ? 2 : step < 1000 ? 1 : 0) + "s"));
      }
      services.forEach(function (s, i) {
        var a = parseTime(s.first), b = parseTime(s.last);
        if (a === null || b === null) return;
        var y = axisH + i * laneH;
        var x1 = x(a - t0), x2 = x(b - t0);
        plot.appendChild(sv("rect", { x: x1, y: y + 9, width: Math.max(2, x2 - x1), height: laneH - 18, rx: 3, "class": "span-bar" }));
      });
      hops.forEach(function (h) {
        var at = parseTime(h.at); if (at === null) return;
        var fl = laneOf[h.from], tl = laneOf[h.to];
        if (fl === undefined || tl === undefined) return;
        var xa = x(at - t0 - h.gap_ms), xb = x(at - t0);
        var ya = axisH + fl * laneH + laneH / 2, yb = axisH + tl * laneH + laneH / 2;
        var big = h.gap_ms >= 1000;
        var p = sv("path", { d: "M" + xa + "," + ya + " L" + xb + "," + (yb + (yb > ya ? -6 : 6)), "class": "hop" + (big ? " gap" : ""), "marker-end": "url(#hop-arrow)" });
        plot.appendChild(p);
        if (big && xb - xa > 70) plot.appendChild(sv("text", { x: (xa + xb) / 2 - 30, y: (ya + yb) / 2 - 3, "class": "muted" }, "gap " + fmtDur(h.gap_ms)));
      });
      // One mark per lane and pixel column, showing the most severe level.
      var buckets = {};
      for (var i = 0; i < timed.length; i++) {
        var e = timed[i];
        if (e._off < view.a || e._off > view.b) continue;
        var col = Math.round(x(e._off) / 3);
        var key = laneOf[e.service] + ":" + col;
        var bk = buckets[key];
        if (!bk) buckets[key] = bk = { lane: laneOf[e.service], col: col, n: 0, ev: e };
        bk.n++;
        if (RANK[e._lv] > RANK[bk.ev._lv]) bk.ev = e;
      }
      Object.keys(buckets).forEach(function (k) {
        var bk = buckets[k];
        if (bk.lane === undefined) return;
        var cy = axisH + bk.lane * laneH + laneH / 2;
        var r = sv("rect", { x: bk.col * 3 - 2.5, y: cy - 7, width: 5, height: 14, rx: 1.5, "class": "mark lv-" + bk.ev._lv });
        r.addEventListener("mousemove", function (ev) {
          var e = bk.ev;
          showTip(ev.clientX, ev.clientY, fmtOff(e._off) + "  " + e.service + "  " + e._lv.toUpperCase() + "\n" + String(e.message).slice(0, 600) + (bk.n > 1 ? "\n(+" + (bk.n - 1) + " more here; zoom in)" : ""));
        });
        r.addEventListener("mouseleave", hideTip);
        r.addEventListener("click", function () { revealEvent(bk.ev); });
        plot.appendChild(r);
      });
    }
    function clientToSvgX(clientX) {
      var rect = svg.getBoundingClientRect();
      return (clientX - rect.left) / rect.width * W;
    }
    svg.addEventListener("wheel", function (e) {
      e.preventDefault();
      var px = clientToSvgX(e.clientX);
      var at = pxToOff(Math.max(labelW, Math.min(W - 10, px)));
      var f = e.deltaY < 0 ? 0.8 : 1.25;
      var na = at - (at - view.a) * f, nb = at + (view.b - at) * f;
      if (nb - na < 0.01) return;
      view.a = na; view.b = nb; draw();
    }, { passive: false });
    var drag = null;
    svg.addEventListener("pointerdown", function (e) { drag = { x: clientToSvgX(e.clientX), a: view.a, b: view.b }; svg.classList.add("dragging"); });
    window.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var d = (clientToSvgX(e.clientX) - drag.x) / plotW * (drag.b - drag.a);
      view.a = drag.a - d; view.b = drag.b - d; draw();
    });
    window.addEventListener("pointerup", function () { drag = null; svg.classList.remove("dragging"); });
    reset.addEventListener("click", function () { view.a = full.a; view.b = full.b; draw(); });
    card.appendChild(svg);
    // Drawn once the card is in the page, when its width is known.
    timelineReady = function () {
      measure(); draw();
      var pending = null;
      window.addEventListener("resize", function () {
        clearTimeout(pending);
        pending = setTimeout(function () { measure(); draw(); }, 100);
      });
    };
    return card;
  }
  var timelineReady = null;

  var top = el("div", "top");
  add(top, flowGraph(), timeline());
  main.appendChild(top);
  if (timelineReady) timelineReady();

  // ---- event table --------------------------------------------------------
  var tableCard = el("section", "card"); tableCard.id = "events-card";
  var fService = el("select"); fService.id = "filter-service";
  add(fService, el("option", null, "all services"));
  fService.firstChild.value = "";
  services.forEach(function (s) { var o = el("option", null, s.name); o.value = s.name; fService.appendChild(o); });
  var fLevel = el("select"); fLevel.id = "filter-level";
  add(fLevel, el("option", null, "all levels"));
  fLevel.firstChild.value = "";
  LEVELS.forEach(function (l) { var o = el("option", null, l === "none" ? "(no level)" : l); o.value = l; fLevel.appendChild(o); });
  var fText = el("input"); fText.id = "filter-text"; fText.type = "search"; fText.placeholder = "search messages, fields, raw records…";
  var count = el("span", "count"); count.id = "events-count";
  add(tableCard, el("h2", null, "Events"), add(el("div", "filters"), fService, fLevel, fText, count));
  var table = el("table"); table.id = "events";
  var thead = el("thead"), trh = el("tr");
  ["offset", "service", "level", "message", "via"].forEach(function (h) { trh.appendChild(el("th", null, h)); });
  thead.appendChild(trh);
  var tbody = el("tbody");
  add(table, thead, tbody);
  var moreBtn = el("button", "more", ""); moreBtn.hidden = true;
  add(tableCard, table, moreBtn);
  main.appendChild(tableCard);

  var shown = [], limit = PAGE;
  function searchText(e) {
    if (e._search === null) {
      var f = "";
      try { f = JSON.stringify(e.fields || {}); } catch (err) { f = ""; }
      e._search = (e.message + "\n" + e.raw + "\n" + f + "\n" + e.service + "\n" + (e.origin ? e.origin.path : "")).toLowerCase();
    }
    return e._search;
  }
  function detailRow(e) {
    var tr = el("tr", "detail"), td = el("td"); td.colSpan = 5;
    var kv = el("table", "kv");
    function row(k, v) { if (v === "" || v === null || v === undefined) return; kv.appendChild(add(el("tr"), el("td", null, k), el("td", "mono", v))); }
    row("time", e.time || "untimed");
    row("origin", e.origin ? e.origin.source + " " + e.origin.path + ":" + e.origin.line : "");
    row("matched", e.matched ? e.matched.key + (e.matched.key ? "=" : "") + e.matched.value : "");
    row("via", e.matched ? e.matched.via : "");
    var keys = Object.keys(e.fields || {}).sort();
    keys.forEach(function (k) {
      var v = e.fields[k];
      row("field " + k, typeof v === "string" ? v : JSON.stringify(v));
    });
    td.appendChild(kv);
    td.appendChild(el("div", "hint", "raw record"));
    td.appendChild(el("pre", "raw", e.raw));
    tr.appendChild(td);
    return tr;
  }
  function eventRow(e) {
    var tr = el("tr", "row");
    tr.dataset.index = String(e._i);
    add(tr, el("td", "off mono", fmtOff(e._off)));
    var svc = el("td", "svc", e.service); svc.style.color = colorOf[e.service] || "";
    add(tr, svc, el("td", "lvl mono t-" + e._lv, e._lv === "none" ? "" : e._lv.toUpperCase()));
    var msg = String(e.message);
    var lines = msg.split("\n");
    add(tr, el("td", "msg", lines.length > 4 ? lines.slice(0, 4).join("\n") + "\n… " + (lines.length - 4) + " more lines" : msg));
    add(tr, el("td", "mono", e.matched && e.matched.via ? "← " + e.matched.key : ""));
    tr.addEventListener("click", function () {
      var next = tr.nextSibling;
      if (next && next.classList.contains("detail")) { next.remove(); return; }
      tr.parentNode.insertBefore(detailRow(e), next);
    });
    return tr;
  }
  function applyFilters() {
    var s = fService.value, l = fLevel.value, q = fText.value.trim().toLowerCase();
    shown = events.filter(function (e) {
      return (!s || e.service === s) && (!l || e._lv === l) && (!q || searchText(e).indexOf(q) >= 0);
    });
    render();
  }
  function render() {
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    var frag = document.createDocumentFragment();
    var n = Math.min(shown.length, limit);
    for (var i = 0; i < n; i++) frag.appendChild(eventRow(shown[i]));
    tbody.appendChild(frag);
    count.textContent = shown.length + " of " + events.length + " shown";
    moreBtn.hidden = shown.length <= limit;
    moreBtn.textContent = "show " + Math.min(PAGE, shown.length - limit) + " more (" + (shown.length - limit) + " not listed)";
  }
  function revealEvent(e) {
    fService.value = ""; fLevel.value = ""; fText.value = "";
    shown = events; limit = Math.max(limit, e._i + 1); render();
    var tr = tbody.querySelector('tr[data-index="' + e._i + '"]');
    if (tr) { tr.click(); tr.scrollIntoView({ block: "center" }); }
  }
  moreBtn.addEventListener("click", function () { limit += PAGE; render(); });
  var timer = null;
  function later() { clearTimeout(timer); timer = setTimeout(function () { limit = PAGE; applyFilters(); }, 120); }
  fService.addEventListener("change", function () { limit = PAGE; applyFilters(); });
  fLevel.addEventListener("change", function () { limit = PAGE; applyFilters(); });
  fText.addEventListener("input", later);
  shown = events; render();

  // ---- linked ids, verifier results, sources, warnings ---------------------
  function simpleTable(id, heads, rows) {
    var t = el("table"); t.id = id;
    var tr = el("tr"); heads.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    t.appendChild(add(el("thead"), tr));
    var tb = el("tbody");
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (c) { row.appendChild(c instanceof Node ? add(el("td"), c) : el("td", null, c)); });
      tb.appendChild(row);
    });
    t.appendChild(tb);
    return t;
  }
  var bottom = el("section", "card"); bottom.id = "details";
  add(bottom, el("h2", null, "Linked ids"));
  var linked = R.linked_ids || [];
  if (linked.length === 0) add(bottom, el("div", "empty", "no linked ids"));
  else add(bottom, simpleTable("linked", ["id", "depth", "reached via", "first seen", "events"], linked.map(function (l) {
    return [l.key + "=" + l.value, String(l.depth), l.via, l.from.path + ":" + l.from.line, String(l.events)];
  })));
  var ver = R.verifications || [];
  add(bottom, el("h2", null, "Verifier results"));
  if (ver.length === 0) add(bottom, el("div", "empty", "no verifier endpoint configured for these services"));
  else add(bottom, simpleTable("verifications", ["service", "result", "status", "answer or error", "time"], ver.map(function (v) {
    var answer = v.ok ? JSON.stringify(v.response) : v.error;
    return [v.service, el("span", v.ok ? "ok" : "fail", v.ok ? "ok" : "failed"), v.status ? String(v.status) : "", answer, fmtDur(v.elapsed_ms)];
  })));
  add(bottom, el("h2", null, "Sources"));
  add(bottom, simpleTable("sources", ["source", "files", "bytes", "skipped", "records", "state", "time"], (src.list || []).map(function (s) {
    return [s.source, String(s.files), fmtBytes(s.bytes), String(s.skipped), String(s.records), s.failed ? el("span", "fail", "failed: " + s.error) : s.truncated ? "truncated" : "ok", fmtDur(s.elapsed_ms)];
  })));
  var warns = R.warnings || [];
  add(bottom, el("h2", null, "Warnings"));
  if (warns.length === 0) add(bottom, el("div", "empty", "none"));
  else {
    var ul = el("ul"); ul.id = "warnings";
    warns.forEach(function (w) { ul.appendChild(el("li", "warning", (w.source ? w.source + ": " : "") + w.message)); });
    add(bottom, ul);
  }
  main.appendChild(bottom);
  root.setAttribute("data-ready", "true");
})();
