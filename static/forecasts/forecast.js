// The forecast/test drawer on the canvas editor, and the predicted counts overlaid on the cards.
// The canvas island (static/journeys/canvas.js) announces each redraw with "jc:canvas-decorated";
// predicted counts are drawn after it, dashed, beside (never instead of) the live counters.
(function () {
  "use strict";
  var predicted = null;

  function drawer() { return document.querySelector("[data-forecast-drawer]"); }

  function paint() {
    if (!predicted || !window.jcCanvas || !window.jcCanvas.nodeEl) { return; }
    var label = (drawer() && drawer().getAttribute("data-label-predicted")) || "predicted";
    window.jcCanvas.document().nodes.forEach(function (node) {
      var box = window.jcCanvas.nodeEl(node.key);
      if (!box) { return; }
      var el = box.querySelector(".fc-card-forecast");
      if (!el) {
        el = document.createElement("div");
        el.className = "fc-card-forecast";
        (box.querySelector(".drawflow_content_node") || box).appendChild(el);
      }
      var n = predicted.nodes[node.key];
      el.textContent = "≈ " + (n ? n.entered : 0).toLocaleString() + " " + label;
      el.setAttribute("data-forecast-count", n ? n.entered : 0);
      // The predicted exits per branch, on hover (the card stays as short as in live mode).
      el.title = n ? Object.keys(n.branches || {}).map(function (b) { return b + " " + n.branches[b]; }).join(" · ") : "";
    });
  }

  function show(detail) {
    predicted = detail;
    paint();
  }

  document.addEventListener("jc:canvas-decorated", paint);
  document.body.addEventListener("jc:forecast-ready", function (e) { show(e.detail); });

  document.addEventListener("click", function (e) {
    var open = e.target.closest("[data-action='open-forecast']");
    if (open && drawer()) {
      e.preventDefault();
      drawer().hidden = false;
      if (!drawer().querySelector("[data-forecast-panel]")) {
        htmx.ajax("GET", open.getAttribute("href"), {target: drawer(), swap: "innerHTML"});
      }
      return;
    }
    if (e.target.closest("[data-action='close-forecast']") && drawer()) {
      // Emptied, so the next open loads a fresh panel (with the forecast just run in its list).
      drawer().hidden = true;
      drawer().innerHTML = "";
      return;
    }
    var again = e.target.closest("[data-show-forecast]");
    if (again) {
      fetch(again.getAttribute("data-show-forecast"), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) { if (body) { show(body); } });
    }
  });
})();
