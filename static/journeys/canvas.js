// The canvas island: draws a journey/v1 document with Drawflow and keeps that document (never the
// HTML) as the one thing it edits and saves. The server validates every save, renders the node
// settings forms, and answers publish with per-node errors; this file only draws and sends.
(function () {
  "use strict";

  var ICONS = {
    entry: '<path d="M15 3h4a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-4"/><path d="M10 17l5-5-5-5"/><path d="M15 12H3"/>',
    delay: '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
    wait: '<path d="M6 2h12M6 22h12"/><path d="M7 2c0 5 5 6 5 10s-5 5-5 10M17 2c0 5-5 6-5 10s5 5 5 10"/>',
    condition: '<circle cx="6" cy="6" r="2.5"/><circle cx="6" cy="18" r="2.5"/><circle cx="18" cy="8" r="2.5"/><path d="M6 8.5v7"/><path d="M18 10.5c0 4-6 3-10.5 6"/>',
    split: '<path d="M16 3h5v5"/><path d="M4 20L21 3"/><path d="M21 16v5h-5"/><path d="M15 15l6 6"/><path d="M4 4l5 5"/>',
    send: '<path d="M22 2L11 13"/><path d="M22 2l-7 20-4-9-9-4z"/>',
    action: '<path d="M13 2L3 14h9l-1 8 10-12h-9z"/>',
    exit: '<path d="M4 15s1-1 4-1 5 2 8 2 4-1 4-1V3s-1 1-4 1-5-2-8-2-4 1-4 1z"/><path d="M4 22v-7"/>',
    settings: '<circle cx="12" cy="12" r="3"/><path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z"/>'
  };
  var DEFAULT_CONFIG = {
    entry: {}, delay: {days: 1}, wait: {timeout: {days: 3}}, condition: {}, send: {}, action: {},
    split: {variants: [{key: "a", weight: 50}, {key: "b", weight: 50}]}
  };
  var NODE_W = 248, NODE_H = 120, READABLE_ZOOM = 0.7, UNDO_LIMIT = 100, SAVE_DELAY = 700, POLL_MS = 4000;

  function icon(type) {
    return '<svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2" ' +
      'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">' + (ICONS[type] || "") + "</svg>";
  }
  function paintIcons(root) {
    root.querySelectorAll("[data-icon]").forEach(function (el) {
      if (!el.firstChild) { el.innerHTML = icon(el.getAttribute("data-icon")); }
    });
  }
  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }
  function branchesOf(node) {
    if (node.type === "wait") { return ["matched", "timeout"]; }
    if (node.type === "condition") { return ["yes", "no"]; }
    if (node.type === "split") { return ((node.config || {}).variants || []).map(function (v) { return v.key; }); }
    if (node.type === "exit") { return []; }
    return ["next"];
  }
  // Fields of a settings form shown only for some choices: data-show-when="trigger=event,inactive".
  function toggleDependent(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (field) {
      var rule = field.getAttribute("data-show-when").split("="), name = rule[0], allowed = rule[1].split(",");
      var inputs = form.querySelectorAll('[name="' + name + '"]'), value = "";
      inputs.forEach(function (i) { if ((i.type !== "radio" && i.type !== "checkbox") || i.checked) { value = i.value; } });
      field.hidden = allowed.indexOf(value) < 0;
    });
  }

  document.addEventListener("htmx:load", function (e) {
    paintIcons(e.target);
    e.target.querySelectorAll && e.target.querySelectorAll(".jc-form").forEach(toggleDependent);
  });
  document.addEventListener("change", function (e) {
    var form = e.target.closest && e.target.closest(".jc-form");
    if (form) { toggleDependent(form); }
  });

  window.JC.register("canvas", function (root) {
    var boot = JSON.parse(document.getElementById("jc-boot").textContent);
    var T = boot.i18n, urls = boot.urls, canEdit = boot.canEdit;
    var doc = boot.document || {};
    doc.nodes = doc.nodes || []; doc.edges = doc.edges || [];
    var revision = boot.revision, summaries = boot.summaries || {};
    var el = root.querySelector("#drawflow"), panel = root.querySelector("[data-panel]");
    var stateEl = root.querySelector("[data-save-state]"), toastEl = root.querySelector("[data-toast]");
    var errorsEl = root.querySelector("[data-errors]"), modal = root.querySelector("[data-modal]");
    var editor = new window.Drawflow(el);
    editor.reroute = false;
    editor.curvature = 0.45;
    editor.zoom_min = 0.1;
    editor.zoom_max = 2;
    editor.editor_mode = canEdit ? "edit" : "view";
    editor.start();

    var idOf = {}, keyOf = {}, rendering = false, selected = null, clipboard = null;
    var undo = [], redo = [], snapshot = JSON.stringify(doc);
    var state = "saved", saveTimer = null, inFlight = null, again = false, stats = null, errors = {};

    function nodeByKey(key) { return doc.nodes.filter(function (n) { return n.key === key; })[0]; }
    function typeLabel(type) { return T[type] || type; }

    // --- Drawing --------------------------------------------------------------------------------
    function cardHtml(node) {
      var summary = summaries[node.key] || T.newConfig;
      return '<div class="jc-card" data-key="' + esc(node.key) + '">' +
        '<div class="jc-card-head"><span class="jc-icon">' + icon(node.type) + '</span><span class="jc-card-type">' +
        esc(typeLabel(node.type)) + '</span><span class="jc-card-key">' + esc(node.key) + "</span></div>" +
        '<div class="jc-card-label">' + esc(node.label || typeLabel(node.type)) + "</div>" +
        '<div class="jc-card-summary">' + esc(summary) + "</div>" +
        '<div class="jc-card-stats" hidden></div><div class="jc-card-error" hidden></div></div>';
    }

    function render() {
      rendering = true;
      var data = {}, id = 1;
      idOf = {}; keyOf = {};
      doc.nodes.forEach(function (node) {
        idOf[node.key] = id; keyOf[id] = node.key;
        var outputs = {};
        branchesOf(node).forEach(function (_, i) { outputs["output_" + (i + 1)] = {connections: []}; });
        var pos = node.position || {x: 0, y: 0};
        data[id] = {id: id, name: node.type, data: {key: node.key}, class: "kind-" + node.type, html: cardHtml(node),
          typenode: false, inputs: node.type === "entry" ? {} : {input_1: {connections: []}}, outputs: outputs,
          pos_x: pos.x, pos_y: pos.y};
        id += 1;
      });
      doc.edges.forEach(function (edge) {
        var from = nodeByKey(edge.from), to = nodeByKey(edge.to);
        if (!from || !to || to.type === "entry") { return; }
        var index = branchesOf(from).indexOf(edge.branch || "next");
        if (index < 0) { return; }
        var out = "output_" + (index + 1), a = idOf[edge.from], b = idOf[edge.to];
        data[a].outputs[out].connections.push({node: String(b), output: "input_1"});
        data[b].inputs.input_1.connections.push({node: String(a), input: out});
      });
      editor.import({drawflow: {Home: {data: data}}});
      decorate();
      // Drawflow's own selection points at elements import() just replaced.
      editor.node_selected = null;
      editor.connection_selected = null;
      rendering = false;
      if (selected && idOf[selected]) { nodeEl(selected).classList.add("selected"); }
      var hint = root.querySelector("[data-start-hint]");
      if (hint) { hint.hidden = doc.nodes.length > 1 || doc.edges.length > 0; }
    }

    function nodeEl(key) { return el.querySelector("#node-" + idOf[key]); }

    // Port names on the outputs, and the live counters when there are any.
    function decorate() {
      doc.nodes.forEach(function (node) {
        var box = nodeEl(node.key);
        if (!box) { return; }
        var s = stats && stats.nodes ? stats.nodes[node.key] : null;
        branchesOf(node).forEach(function (branch, i) {
          var port = box.querySelector(".output_" + (i + 1));
          if (!port) { return; }
          var count = s && s.branches && s.branches[branch] != null ? " · " + s.branches[branch].toLocaleString() : "";
          port.setAttribute("data-branch", branch === "next" && !count ? "" : branch + count);
          port.setAttribute("title", branch);
        });
        var statsEl = box.querySelector(".jc-card-stats");
        if (s) {
          // The first goal always shows; further goals only once someone converted, to keep cards short.
          var conv = Object.keys(s.conversions || {}).filter(function (goal, i) {
            return i === 0 || s.conversions[goal] > 0;
          }).map(function (goal) {
            var rate = s.entered ? Math.round(1000 * s.conversions[goal] / s.entered) / 10 : 0;
            return '<span class="conv" title="' + esc(goal) + '">✓ ' + esc(goal) + " " + rate + "%</span>";
          }).join("");
          statsEl.innerHTML = '<span><b>' + (s.entered || 0).toLocaleString() + "</b> " + esc(T.entered) + "</span>" +
            '<span class="here"><b>' + (s.active || 0).toLocaleString() + "</b> " + esc(T.here) + "</span>" + conv;
          statsEl.hidden = false;
        } else {
          statsEl.hidden = true;
        }
        var err = errors[node.key], errEl = box.querySelector(".jc-card-error");
        box.classList.toggle("has-error", !!err);
        errEl.hidden = !err;
        errEl.textContent = err ? err.join(" ") : "";
        box.querySelector(".jc-card-summary").textContent = summaries[node.key] || T.newConfig;
      });
      // Other islands (the forecast overlay) redraw their additions to the cards after each render.
      document.dispatchEvent(new CustomEvent("jc:canvas-decorated"));
    }

    // Read positions from the elements: Drawflow 0.0.60 records pos_x/pos_y one mouse-move step
    // off while dragging (it reads offsetLeft after moving), the element's style is exact.
    function positionsFromEditor() {
      doc.nodes.forEach(function (node) {
        var box = nodeEl(node.key);
        if (box) { node.position = {x: Math.round(parseFloat(box.style.left)), y: Math.round(parseFloat(box.style.top))}; }
      });
    }

    // --- History and saving ---------------------------------------------------------------------
    function commit() {
      undo.push(snapshot);
      if (undo.length > UNDO_LIMIT) { undo.shift(); }
      redo = [];
      snapshot = JSON.stringify(doc);
      dirty();
    }
    function restore(from, to) {
      if (!from.length) { return; }
      to.push(JSON.stringify(doc));
      doc = JSON.parse(from.pop());
      snapshot = JSON.stringify(doc);
      render();
      if (selected && !nodeByKey(selected)) { closePanel(); }
      dirty();
    }

    function setState(next, message) {
      state = next;
      if (!stateEl) { return; }
      stateEl.setAttribute("data-save-state", next);
      stateEl.textContent = message || {saved: T.saved, dirty: T.unsaved, saving: T.saving}[next] || "";
    }
    function dirty() {
      if (!canEdit || state === "conflict") { return; }
      setState("dirty");
      clearTimeout(saveTimer);
      saveTimer = setTimeout(save, SAVE_DELAY);
    }
    function post(url, body, json) {
      return fetch(url, {
        method: "POST", credentials: "same-origin", body: body,
        headers: json ? {"Content-Type": "application/json", "X-CSRFToken": window.JC.csrf()} : {"X-CSRFToken": window.JC.csrf()}
      });
    }
    function save() {
      clearTimeout(saveTimer);
      if (state === "conflict" || !canEdit) { return Promise.resolve(false); }
      if (inFlight) { again = true; return inFlight; }
      if (state === "saved") { return Promise.resolve(true); }
      setState("saving");
      var sent = JSON.stringify(doc);
      inFlight = post(urls.save, JSON.stringify({document: doc, revision: revision}), true).then(function (r) {
        return r.json().then(function (body) { return {status: r.status, body: body}; });
      }).then(function (answer) {
        inFlight = null;
        if (answer.status === 409) {
          setState("conflict", T.conflict);
          showConflict();
          return false;
        }
        if (answer.status !== 200) {
          setState("dirty", fmt(T.saveFailed, {error: answer.body.error || answer.status}));
          return false;
        }
        revision = answer.body.revision;
        summaries = answer.body.summaries || summaries;
        decorate();
        if (again || JSON.stringify(doc) !== sent) { again = false; state = "dirty"; return save(); }
        setState("saved");
        return true;
      }, function () {
        inFlight = null;
        setState("dirty", fmt(T.saveFailed, {error: "network"}));
        return false;
      });
      return inFlight;
    }
    function showConflict() {
      var bar = document.createElement("div");
      bar.className = "jc-conflict";
      bar.setAttribute("role", "alert");
      bar.innerHTML = "<span>" + esc(T.conflict) + '</span><button type="button" class="btn small primary">' + esc(T.reload) + "</button>";
      bar.querySelector("button").addEventListener("click", function () { window.location.reload(); });
      root.querySelector(".jc-stage").appendChild(bar);
    }
    window.addEventListener("beforeunload", function (e) {
      if (state === "dirty" || state === "saving") { e.preventDefault(); e.returnValue = ""; }
    });

    function toast(text, kind) {
      toastEl.textContent = text;
      toastEl.className = "jc-toast " + (kind || "");
      toastEl.hidden = false;
      clearTimeout(toast.timer);
      toast.timer = setTimeout(function () { toastEl.hidden = true; }, 4000);
    }

    // --- Editing ----------------------------------------------------------------------------------
    function freshKey(base) {
      var key = base, n = 2;
      while (nodeByKey(key)) { key = base + "_" + n; n += 1; }
      return key;
    }
    function addNode(type, x, y, template) {
      if (type === "entry" && doc.nodes.some(function (n) { return n.type === "entry"; })) {
        toast(T.oneEntry, "bad");
        return null;
      }
      var node = template ? JSON.parse(JSON.stringify(template)) : {type: type, label: typeLabel(type)};
      node.key = freshKey(template ? template.key : type);
      node.position = {x: Math.round(x), y: Math.round(y)};
      if (!template && DEFAULT_CONFIG[type]) { node.config = JSON.parse(JSON.stringify(DEFAULT_CONFIG[type])); }
      doc.nodes.push(node);
      commit();
      render();
      select(node.key);
      return node;
    }
    // Deleting is one change (one undo step), so it edits the document and redraws instead of
    // letting Drawflow report each removed connection separately.
    function removeNode(key) {
      if (!nodeByKey(key)) { return; }
      doc.nodes = doc.nodes.filter(function (n) { return n.key !== key; });
      doc.edges = doc.edges.filter(function (e) { return e.from !== key && e.to !== key; });
      delete errors[key];
      if (selected === key) { closePanel(); }
      commit();
      render();
    }
    document.addEventListener("keydown", function (e) {
      if (!canEdit || typing(e) || (e.key !== "Delete" && e.key !== "Backspace")) { return; }
      if (editor.connection_selected || !selected) { return; }
      e.preventDefault();
      e.stopPropagation();
      removeNode(selected);
    }, true);
    root.addEventListener("contextmenu", function (e) {
      if (e.target.closest(".drawflow")) { e.stopPropagation(); }
    }, true);
    function canvasPoint(clientX, clientY) {
      var rect = editor.precanvas.getBoundingClientRect();
      return {x: (clientX - rect.left) / editor.zoom, y: (clientY - rect.top) / editor.zoom};
    }
    function visibleCentre() {
      var rect = el.getBoundingClientRect();
      var p = canvasPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
      return {x: p.x - NODE_W / 2 + (Math.random() * 40 - 20), y: p.y - NODE_H / 2 + (Math.random() * 40 - 20)};
    }

    editor.on("nodeMoved", function () {
      if (rendering) { return; }
      positionsFromEditor();
      if (JSON.stringify(doc) !== snapshot) { commit(); }
    });
    editor.on("connectionCreated", function (c) {
      if (rendering) { return; }
      var from = nodeByKey(keyOf[c.output_id]), to = nodeByKey(keyOf[c.input_id]);
      var branch = branchesOf(from)[parseInt(c.output_class.split("_")[1], 10) - 1];
      // One edge per (node, branch): a new connection from a used port replaces the old one.
      var previous = doc.edges.filter(function (e) { return e.from === from.key && (e.branch || "next") === branch; })[0];
      if (from.key === to.key) {
        rendering = true; editor.removeSingleConnection(c.output_id, c.input_id, c.output_class, c.input_class); rendering = false;
        return;
      }
      doc.edges = doc.edges.filter(function (e) { return e !== previous; });
      var edge = {from: from.key, to: to.key};
      if (branch !== "next") { edge.branch = branch; }
      doc.edges.push(edge);
      commit();
      if (previous) { render(); }
    });
    editor.on("connectionRemoved", function (c) {
      if (rendering) { return; }
      var from = keyOf[c.output_id], to = keyOf[c.input_id];
      var branch = branchesOf(nodeByKey(from))[parseInt(c.output_class.split("_")[1], 10) - 1];
      doc.edges = doc.edges.filter(function (e) { return !(e.from === from && e.to === to && (e.branch || "next") === branch); });
      commit();
    });

    // Selection: our own click test so viewers (Drawflow "view" mode) can open steps too.
    var down = null;
    el.addEventListener("mousedown", function (e) { down = {x: e.clientX, y: e.clientY}; });
    el.addEventListener("mouseup", function (e) {
      if (!down || Math.abs(e.clientX - down.x) + Math.abs(e.clientY - down.y) > 4) { return; }
      if (e.target.closest(".output, .input")) { return; }
      var box = e.target.closest(".drawflow-node");
      if (box) { select(keyOf[box.id.slice(5)]); }
    });

    function select(key) {
      if (!key) { return; }
      el.querySelectorAll(".drawflow-node.selected").forEach(function (n) { n.classList.remove("selected"); });
      var box = nodeEl(key);
      if (box) { box.classList.add("selected"); }
      if (canEdit) { editor.node_selected = box; }
      selected = key;
      openPanel(key);
    }

    function openPanel(key) {
      var node = nodeByKey(key);
      if (!node) { return; }
      var params = new URLSearchParams({type: node.type, label: node.label || "", config: JSON.stringify(node.config || {})});
      showPanel(true);
      window.htmx.ajax("GET", urls.node.replace("__key__", encodeURIComponent(key)) + "?" + params.toString(),
        {target: panel, swap: "innerHTML"});
    }
    function openSettings() {
      selected = null;
      el.querySelectorAll(".drawflow-node.selected").forEach(function (n) { n.classList.remove("selected"); });
      showPanel(true);
      save().then(function () { window.htmx.ajax("GET", urls.settings, {target: panel, swap: "innerHTML"}); });
    }
    function closePanel() {
      selected = null;
      el.querySelectorAll(".drawflow-node.selected").forEach(function (n) { n.classList.remove("selected"); });
      panel.innerHTML = "";
      showPanel(false);
    }
    // The panel takes room from the canvas only while something is open in it.
    function showPanel(open) { root.querySelector(".jc-body").classList.toggle("panel-open", open); }

    // The server's forms send the other keys so a rename cannot collide with an unsaved step.
    panel.addEventListener("htmx:configRequest", function (e) {
      if (e.detail.verb === "post" && e.detail.elt.closest(".jc-form")) {
        var owner = e.detail.elt.closest("[data-node-panel]"), key = owner ? owner.getAttribute("data-node-panel") : null;
        e.detail.parameters.taken = JSON.stringify(doc.nodes.map(function (n) { return n.key; }).filter(function (k) { return k !== key; }));
      }
    });
    document.body.addEventListener("jc:node-applied", function (e) {
      var old = e.detail.key, node = e.detail.node, current = nodeByKey(old);
      if (!current) { return; }
      node.position = current.position;
      var keep = branchesOf(node);
      doc.nodes = doc.nodes.map(function (n) { return n.key === old ? node : n; });
      doc.edges = doc.edges.filter(function (edge) {
        return edge.from !== old || keep.indexOf(edge.branch || "next") >= 0;
      }).map(function (edge) {
        if (edge.from === old) { edge.from = node.key; }
        if (edge.to === old) { edge.to = node.key; }
        return edge;
      });
      summaries[node.key] = e.detail.summary;
      if (errors[old]) { delete errors[old]; }
      selected = node.key;
      commit();
      render();
      save();
    });
    document.body.addEventListener("jc:settings-applied", function (e) {
      doc.name = e.detail.name;
      doc.description = e.detail.description;
      doc.settings = e.detail.settings;
      root.querySelector(".jc-name").textContent = doc.name;
      var crumb = document.querySelector(".jc-crumb-name");
      if (crumb) { crumb.textContent = doc.name; }
      commit();
      save();
    });

    // --- Layout, zoom, fit ------------------------------------------------------------------------
    function sizeOf(key) {
      var box = nodeEl(key);
      return box ? {w: box.offsetWidth, h: box.offsetHeight} : {w: NODE_W, h: NODE_H};
    }
    function layout() {
      var g = new window.dagre.graphlib.Graph();
      g.setGraph({rankdir: "LR", nodesep: 30, ranksep: 90, marginx: 40, marginy: 40});
      g.setDefaultEdgeLabel(function () { return {}; });
      // Live cards grow a counter strip once the first poll answers; leave room for it.
      var extra = boot.published && !stats ? 40 : 0;
      doc.nodes.forEach(function (n) { var s = sizeOf(n.key); g.setNode(n.key, {width: s.w, height: s.h + extra}); });
      doc.edges.forEach(function (e) { if (nodeByKey(e.from) && nodeByKey(e.to)) { g.setEdge(e.from, e.to); } });
      window.dagre.layout(g);
      doc.nodes.forEach(function (n) {
        var p = g.node(n.key);
        n.position = {x: Math.round(p.x - p.width / 2), y: Math.round(p.y - p.height / 2)};
      });
    }
    function setView(zoom, x, y) {
      editor.zoom = zoom; editor.zoom_last_value = zoom; editor.canvas_x = x; editor.canvas_y = y;
      editor.precanvas.style.transform = "translate(" + x + "px, " + y + "px) scale(" + zoom + ")";
    }
    // Fit everything; with `readable`, never shrink below a zoom where cards stay legible and
    // start from the entry on the left instead (a long journey is scrolled, not squinted at).
    function fit(readable) {
      if (!doc.nodes.length) { setView(1, 0, 0); return; }
      var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      doc.nodes.forEach(function (n) {
        var p = n.position || {x: 0, y: 0}, s = sizeOf(n.key);
        minX = Math.min(minX, p.x); minY = Math.min(minY, p.y);
        maxX = Math.max(maxX, p.x + s.w + 70); maxY = Math.max(maxY, p.y + s.h);
      });
      var W = el.clientWidth, H = el.clientHeight, pad = 60;
      var zoom = Math.max(editor.zoom_min, Math.min(1, (W - pad) / (maxX - minX), (H - pad) / (maxY - minY)));
      var cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
      if (readable === true && (zoom < READABLE_ZOOM || doc.nodes.length < 3)) {
        zoom = Math.min(Math.max(zoom, READABLE_ZOOM), 1);
        var entry = doc.nodes.filter(function (n) { return n.type === "entry"; })[0] || doc.nodes[0];
        var p = entry.position || {x: 0, y: 0};
        cx = p.x + (W / 2 - pad) / zoom;
        cy = Math.min(Math.max(p.y, minY + (H / 2 - pad) / zoom), maxY - (H / 2 - pad) / zoom);
        if (maxY - minY < (H - pad) / zoom) { cy = (minY + maxY) / 2; }
      }
      setView(zoom, W / 2 - cx * zoom, H / 2 - cy * zoom);
    }
    function zoomBy(step) {
      // Zoom around the middle of the visible canvas.
      var zoom = Math.max(editor.zoom_min, Math.min(editor.zoom_max, editor.zoom + step));
      var mx = el.clientWidth / 2, my = el.clientHeight / 2;
      var px = (mx - editor.canvas_x) / editor.zoom, py = (my - editor.canvas_y) / editor.zoom;
      setView(zoom, mx - px * zoom, my - py * zoom);
    }
    // A plain wheel pans like a map; Ctrl+wheel (and trackpad pinch) zooms around the pointer.
    // Captured on the root so Drawflow's own wheel zoom, which pivots on a corner, never runs.
    root.addEventListener("wheel", function (e) {
      if (!e.target.closest || !e.target.closest("#drawflow")) { return; }
      e.preventDefault();
      e.stopPropagation();
      if (!e.ctrlKey) { setView(editor.zoom, editor.canvas_x - e.deltaX, editor.canvas_y - e.deltaY); return; }
      var rect = el.getBoundingClientRect(), mx = e.clientX - rect.left, my = e.clientY - rect.top;
      var zoom = Math.max(editor.zoom_min, Math.min(editor.zoom_max, editor.zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1)));
      var px = (mx - editor.canvas_x) / editor.zoom, py = (my - editor.canvas_y) / editor.zoom;
      setView(zoom, mx - px * zoom, my - py * zoom);
    }, {passive: false, capture: true});

    // --- Palette: drag, click, keyboard -------------------------------------------------------------
    root.querySelectorAll("[data-node-type]").forEach(function (item) {
      item.addEventListener("dragstart", function (e) {
        e.dataTransfer.setData("text/plain", item.getAttribute("data-node-type"));
        e.dataTransfer.effectAllowed = "copy";
      });
      item.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          var p = visibleCentre();
          addNode(item.getAttribute("data-node-type"), p.x, p.y);
        }
      });
      item.addEventListener("dblclick", function () {
        var p = visibleCentre();
        addNode(item.getAttribute("data-node-type"), p.x, p.y);
      });
    });
    el.addEventListener("dragover", function (e) { if (canEdit) { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; } });
    el.addEventListener("drop", function (e) {
      var type = e.dataTransfer.getData("text/plain");
      if (!canEdit || !type) { return; }
      e.preventDefault();
      var p = canvasPoint(e.clientX, e.clientY);
      addNode(type, p.x - NODE_W / 2, p.y - 30);
    });

    function typing(e) {
      var t = e.target;
      return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    }
    document.addEventListener("keydown", function (e) {
      if (typing(e) || !canEdit) { return; }
      var mod = e.ctrlKey || e.metaKey, k = e.key.toLowerCase();
      if (mod && k === "z" && !e.shiftKey) { e.preventDefault(); restore(undo, redo); }
      else if (mod && (k === "y" || (k === "z" && e.shiftKey))) { e.preventDefault(); restore(redo, undo); }
      else if (mod && k === "c" && selected) { clipboard = JSON.parse(JSON.stringify(nodeByKey(selected))); }
      else if (mod && k === "v" && clipboard) {
        e.preventDefault();
        var p = clipboard.position || {x: 0, y: 0};
        addNode(clipboard.type, p.x + 40, p.y + 40, clipboard);
      }
    });

    // --- Toolbar ----------------------------------------------------------------------------------
    root.addEventListener("click", function (e) {
      var button = e.target.closest("[data-action]");
      if (!button) { return; }
      var action = button.getAttribute("data-action");
      var handlers = {
        undo: function () { restore(undo, redo); },
        redo: function () { restore(redo, undo); },
        layout: function () { layout(); commit(); render(); fit(true); },
        fit: function () { fit(false); },
        "zoom-in": function () { zoomBy(0.1); },
        "zoom-out": function () { zoomBy(-0.1); },
        settings: function () { e.preventDefault(); openSettings(); },
        publish: publish,
        "close-errors": function () { errorsEl.hidden = true; },
        "close-panel": closePanel,
        "delete-node": function () { if (selected) { removeNode(selected); } },
        "cancel-publish": function () { modal.hidden = true; }
      };
      if (handlers[action]) { handlers[action](); }
    });

    // --- Publish ----------------------------------------------------------------------------------
    function showErrors(list) {
      errors = {};
      var ul = errorsEl.querySelector("ul");
      ul.innerHTML = "";
      list.forEach(function (err) {
        if (err.node && nodeByKey(err.node)) { (errors[err.node] = errors[err.node] || []).push(err.message); }
        var li = document.createElement("li");
        li.innerHTML = (err.node ? '<button type="button" class="link mono" data-goto="' + esc(err.node) + '">' + esc(err.node) + "</button> " : "") + esc(err.message);
        ul.appendChild(li);
      });
      errorsEl.hidden = !list.length;
      decorate();
    }
    errorsEl.addEventListener("click", function (e) {
      var target = e.target.closest("[data-goto]");
      if (target) { centreOn(target.getAttribute("data-goto")); select(target.getAttribute("data-goto")); }
    });
    function centreOn(key) {
      var node = nodeByKey(key), s = sizeOf(key), zoom = Math.max(editor.zoom, READABLE_ZOOM);
      if (!node || !node.position) { return; }
      var open = root.querySelector(".jc-body").classList.contains("panel-open") ? 0 : 360;
      setView(zoom, (el.clientWidth - open) / 2 - (node.position.x + s.w / 2) * zoom,
        el.clientHeight / 2 - (node.position.y + s.h / 2) * zoom);
    }
    function publishRequest(form) {
      var body = new FormData(form || undefined);
      return post(urls.publish, body, false).then(function (r) {
        return r.json().then(function (b) { return {status: r.status, body: b}; });
      });
    }
    function handlePublish(answer) {
      if (answer.body.errors) { modal.hidden = true; showErrors(answer.body.errors); toast(T.publishErrors, "bad"); return; }
      if (answer.body.preview) {
        modal.querySelector("[data-modal-body]").innerHTML = answer.body.preview;
        modal.hidden = false;
        toastEl.hidden = true;
        return;
      }
      if (answer.status !== 200) { toast(answer.body.error || String(answer.status), "bad"); return; }
      showErrors([]);
      modal.hidden = true;
      toast(fmt(T.published, {version: answer.body.version}), "ok");
      setTimeout(function () { window.location.reload(); }, 900);
    }
    function publish() {
      toast(T.publishing);
      save().then(function (ok) {
        if (ok === false) { return; }
        publishRequest().then(handlePublish);
      });
    }
    modal.addEventListener("change", function (e) {
      var form = e.target.closest("[data-migration]");
      if (form) { publishRequest(form).then(handlePublish); }
    });
    modal.addEventListener("submit", function (e) {
      var form = e.target.closest("[data-migration]");
      if (!form) { return; }
      e.preventDefault();
      var body = new FormData(form);
      body.append("confirm", "1");
      post(urls.publish, body, false).then(function (r) {
        return r.json().then(function (b) { return {status: r.status, body: b}; });
      }).then(handlePublish);
    });

    // --- Live counters ------------------------------------------------------------------------------
    function poll() {
      return fetch(urls.live, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) { if (body) { stats = body; decorate(); } });
    }
    if (boot.published) {
      poll();
      var timer = setInterval(function () { if (!document.hidden) { poll(); } }, POLL_MS);
      root.__jcDispose = function () { clearInterval(timer); };
    }

    // --- Start --------------------------------------------------------------------------------------
    paintIcons(root);
    var unplaced = doc.nodes.some(function (n) { return !n.position; });
    render();
    if (unplaced) { layout(); snapshot = JSON.stringify(doc); render(); }
    fit(true);
    // For tests and the console: read-only access to what the canvas holds.
    window.jcCanvas = {
      document: function () { return JSON.parse(JSON.stringify(doc)); },
      revision: function () { return revision; }, state: function () { return state; },
      save: save, poll: poll, fit: fit, nodeEl: nodeEl
    };
  });
})();
