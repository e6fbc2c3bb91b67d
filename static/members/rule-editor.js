// The segment builder: a visual editor for the RULE language (SPEC §2).
// It edits a tree of groups (all / any / none) and leaves, writes the rule JSON into the hidden
// #rule-json textarea and fires "rule-changed" on it; htmx then posts it to the preview endpoint
// and swaps the live count. Errors come back with the RULE path ("rule.all[1].value"), which is
// mapped to the group or leaf that produced it.
(function () {
  "use strict";

  var KINDS = ["attr", "tag", "event", "last_event", "rfm", "stage"];
  var COUNT_OPS = ["gte", "gt", "eq", "lte", "lt"];
  var TEXT_FIELDS = ["external_id", "name", "phone", "email", "timezone"];
  var NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key === "class") { node.className = attrs[key]; }
      else if (key.slice(0, 2) === "on") { node.addEventListener(key.slice(2), attrs[key]); }
      else if (attrs[key] !== undefined && attrs[key] !== null && attrs[key] !== false) { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function typed(text, attrName) {
    var value = String(text).trim();
    if (TEXT_FIELDS.indexOf(attrName) >= 0 || attrName === "registered_at") { return value; }
    if (NUMBER.test(value)) { return Number(value); }
    if (value === "true") { return true; }
    if (value === "false") { return false; }
    return value;
  }

  function shown(value) {
    if (Array.isArray(value)) { return value.map(shown).join(", "); }
    return value === undefined || value === null ? "" : String(value);
  }

  // --- JSON rule <-> editor tree -----------------------------------------------------------
  function toTree(rule) {
    if (rule && rule.all) { return {type: "group", mode: "all", children: rule.all.map(toTree)}; }
    if (rule && rule.any) { return {type: "group", mode: "any", children: rule.any.map(toTree)}; }
    if (rule && rule.not) {
      var inner = rule.not.any ? rule.not.any : [rule.not];
      return {type: "group", mode: "none", children: inner.map(toTree)};
    }
    if (rule && rule.event !== undefined) {
      var count = rule.count || {gte: 1};
      var ops = Object.keys(count);
      var extra = {};
      ops.slice(1).forEach(function (op) { extra[op] = count[op]; });
      return {type: "event", event: rule.event, countOp: ops[0], countN: count[ops[0]], countExtra: extra,
              withinDays: rule.within_days, where: rule.where ? toTree(rule.where.all || rule.where.any ? rule.where : {all: [rule.where]}) : null};
    }
    for (var i = 0; i < KINDS.length; i++) {
      if (rule && rule[KINDS[i]] !== undefined) { return Object.assign({type: KINDS[i]}, rule); }
    }
    return {type: "raw", rule: rule};
  }

  function toRule(node, path, paths) {
    paths.push([path, node]);
    if (node.type === "group") {
      var key = node.mode === "none" ? "any" : node.mode;
      var base = node.mode === "none" ? path + ".not.any" : path + "." + key;
      var children = node.children.map(function (child, i) { return toRule(child, base + "[" + i + "]", paths); });
      var group = {};
      group[key] = children;
      return node.mode === "none" ? {not: group} : group;
    }
    if (node.type === "attr") {
      var leaf = {attr: node.attr || "", op: node.op || "eq"};
      if (node.op !== "exists") { leaf.value = node.value === undefined ? "" : node.value; }
      else if (node.value === false) { leaf.value = false; }
      return leaf;
    }
    if (node.type === "event") {
      var count = Object.assign({}, node.countExtra || {});
      count[node.countOp || "gte"] = node.countN === undefined || node.countN === "" ? 1 : node.countN;
      var ev = {event: node.event || "", count: count};
      if (node.withinDays !== undefined && node.withinDays !== "" && node.withinDays !== null) { ev.within_days = node.withinDays; }
      if (node.where && node.where.children.length) { ev.where = toRule(node.where, path + ".where", paths); }
      return ev;
    }
    if (node.type === "last_event") { return {last_event: node.last_event || "", older_than_days: node.older_than_days}; }
    if (node.type === "raw") { return node.rule; }
    var out = {};
    out[node.type] = node[node.type] || "";
    return out;
  }

  function newLeaf(type, vocab) {
    switch (type) {
      case "attr": return {type: "attr", attr: vocab.attributes[0] || "city", op: "eq", value: ""};
      case "tag": return {type: "tag", tag: vocab.tags[0] || ""};
      case "event": return {type: "event", event: vocab.events[0] || "order_paid", countOp: "gte", countN: 1, withinDays: 30, where: null};
      case "last_event": return {type: "last_event", last_event: vocab.events[0] || "order_paid", older_than_days: 15};
      case "rfm": return {type: "rfm", rfm: vocab.rfm[0].value};
      case "stage": return {type: "stage", stage: vocab.stages[0].value};
      default: return {type: "group", mode: "all", children: []};
    }
  }

  // --- Rendering ---------------------------------------------------------------------------
  function init(root) {
    var vocab = JSON.parse(document.getElementById("rule-vocabulary").textContent);
    var L = vocab.labels;
    var textarea = document.getElementById("rule-json");
    var readonly = root.dataset.readonly === "1";
    var tree;
    try { tree = toTree(JSON.parse(textarea.value || "{}")); } catch (e) { tree = null; }
    if (!tree || tree.type !== "group") { tree = {type: "group", mode: "all", children: tree && tree.type !== "raw" ? [tree] : []}; }
    var elements = [];

    function datalist(id, values) {
      if (document.getElementById(id)) { return null; }
      return el("datalist", {id: id}, values.map(function (v) { return el("option", {value: v}); }));
    }
    root.parentNode.appendChild(el("div", {hidden: "hidden"}, [
      datalist("rule-attrs", vocab.fields.concat(vocab.attributes)), datalist("rule-tags", vocab.tags),
      datalist("rule-events", vocab.events), datalist("rule-props", ["value"].concat(vocab.properties)),
    ]));

    function changed() {
      var paths = [];
      textarea.value = JSON.stringify(toRule(tree, "rule", paths));
      elements = paths;
      clearErrors();
      var box = document.getElementById("live-count");
      if (!tree.children.length && box) {
        // Nothing to count yet: say what to do instead of showing the validator's "non-empty list" error.
        box.innerHTML = "";
        box.appendChild(el("strong", {class: "count muted", text: "—"}));
        box.appendChild(el("p", {class: "muted small", text: L.start_hint}));
        return;
      }
      if (window.htmx) { window.htmx.trigger(textarea, "rule-changed"); }
    }

    function rerender() {
      root.innerHTML = "";
      var nodeEls = new Map();
      root.appendChild(renderGroup(tree, null, nodeEls, false));
      root.__nodeEls = nodeEls;
      changed();
    }

    function input(attrs, onChange) {
      attrs.disabled = readonly ? "disabled" : null;
      var node = el(attrs.tag || "input", attrs);
      node.addEventListener(attrs.tag === "select" ? "change" : "input", function () { onChange(node.value); changed(); });
      return node;
    }

    function select(options, value, onChange, attrs) {
      var node = el("select", Object.assign({disabled: readonly ? "disabled" : null}, attrs || {}), options.map(function (o) {
        return el("option", {value: o.value, text: o.label, selected: String(o.value) === String(value) ? "selected" : null});
      }));
      node.addEventListener("change", function () { onChange(node.value); changed(); });
      return node;
    }

    function removeButton(list, node) {
      if (readonly) { return null; }
      return el("button", {type: "button", class: "rule-x", title: L.remove, "aria-label": L.remove, text: "×", onclick: function () {
        list.splice(list.indexOf(node), 1); rerender();
      }});
    }

    function renderGroup(group, parentList, nodeEls, propertiesOnly) {
      var box = el("div", {class: "rule-group mode-" + group.mode, "data-kind": "group"});
      nodeEls.set(group, box);
      var modes = propertiesOnly ? ["all", "any"] : ["all", "any", "none"];
      var head = el("div", {class: "rule-group-head"}, [
        select(modes.map(function (m) { return {value: m, label: L.modes[m]}; }), group.mode, function (v) {
          group.mode = v; box.className = "rule-group mode-" + v;
        }, {"aria-label": L.group, class: "mode-select"}),
        el("span", {class: "muted small", text: propertiesOnly ? L.of_properties : L.of_conditions}),
        parentList ? removeButton(parentList, group) : null,
      ]);
      box.appendChild(head);
      var body = el("div", {class: "rule-children"});
      group.children.forEach(function (child) {
        body.appendChild(child.type === "group" ? renderGroup(child, group.children, nodeEls, propertiesOnly)
          : renderLeaf(child, group.children, nodeEls, propertiesOnly));
      });
      if (!group.children.length) { body.appendChild(el("p", {class: "muted small rule-empty", text: L.empty})); }
      box.appendChild(body);
      if (!readonly) {
        var kinds = propertiesOnly ? [{value: "attr", label: L.kinds.property}, {value: "group", label: L.kinds.group}]
          : KINDS.map(function (k) { return {value: k, label: L.kinds[k]}; }).concat([{value: "group", label: L.kinds.group}]);
        var adder = el("select", {class: "rule-add", "aria-label": L.add}, [el("option", {value: "", text: "＋ " + (propertiesOnly ? L.add_property : L.add)})].concat(
          kinds.map(function (k) { return el("option", {value: k.value, text: k.label}); })));
        adder.addEventListener("change", function () {
          if (!adder.value) { return; }
          var leaf = propertiesOnly && adder.value === "attr" ? {type: "attr", attr: "value", op: "gte", value: ""} : newLeaf(adder.value, vocab);
          group.children.push(leaf);
          rerender();
        });
        box.appendChild(el("div", {class: "rule-group-foot"}, [adder]));
      }
      return box;
    }

    function renderLeaf(node, list, nodeEls, propertiesOnly) {
      var row = el("div", {class: "rule-leaf", "data-kind": node.type});
      nodeEls.set(node, row);
      var fields = el("div", {class: "rule-fields"});
      var label = el("span", {class: "rule-kind", text: propertiesOnly ? L.kinds.property : (L.kinds[node.type] || node.type)});
      if (node.type === "attr") {
        fields.appendChild(input({list: propertiesOnly ? "rule-props" : "rule-attrs", value: node.attr, class: "w-name",
          "aria-label": L.attribute, placeholder: propertiesOnly ? L.property_placeholder : L.attribute}, function (v) { node.attr = v.trim(); }));
        var valueBox = el("span", {class: "rule-value"});
        var renderValue = function () {
          valueBox.innerHTML = "";
          if (node.op === "exists") {
            valueBox.appendChild(select([{value: "true", label: L.yes}, {value: "false", label: L.no}], node.value === false ? "false" : "true",
              function (v) { node.value = v === "true"; }, {"aria-label": L.value}));
          } else {
            valueBox.appendChild(input({value: shown(node.value), class: "w-value", "aria-label": L.value,
              placeholder: node.op === "in" ? L.list_placeholder : L.value}, function (v) {
              node.value = node.op === "in" ? v.split(",").map(function (s) { return typed(s, node.attr); }).filter(function (s) { return s !== ""; })
                : typed(v, node.attr);
            }));
          }
        };
        fields.appendChild(select(vocab.ops.map(function (o) { return {value: o, label: L.ops[o]}; }), node.op, function (v) {
          var wasList = node.op === "in";
          node.op = v;
          if (v === "exists") { node.value = true; }
          else if (v === "in" && !wasList) { node.value = node.value === "" || node.value === true ? [] : [node.value]; }
          else if (v !== "in" && wasList) { node.value = (node.value || [])[0] === undefined ? "" : node.value[0]; }
          else if (node.value === true || node.value === false) { node.value = ""; }
          renderValue();
        }, {"aria-label": L.operator, class: "op-select"}));
        renderValue();
        fields.appendChild(valueBox);
      } else if (node.type === "tag") {
        fields.appendChild(input({list: "rule-tags", value: node.tag, "aria-label": L.kinds.tag}, function (v) { node.tag = v.trim(); }));
      } else if (node.type === "event") {
        fields.appendChild(input({list: "rule-events", value: node.event, class: "w-name", "aria-label": L.event}, function (v) { node.event = v.trim(); }));
        fields.appendChild(select(COUNT_OPS.map(function (o) { return {value: o, label: L.count_ops[o]}; }), node.countOp, function (v) { node.countOp = v; },
          {"aria-label": L.count}));
        fields.appendChild(input({type: "number", min: "0", value: node.countN, class: "w-num", "aria-label": L.times}, function (v) {
          node.countN = v === "" ? "" : Number(v);
        }));
        fields.appendChild(el("span", {class: "muted", text: L.times_in_last}));
        fields.appendChild(input({type: "number", min: "1", value: node.withinDays === undefined ? "" : node.withinDays, class: "w-num",
          placeholder: "∞", "aria-label": L.within_days}, function (v) { node.withinDays = v === "" ? undefined : Number(v); }));
        fields.appendChild(el("span", {class: "muted", text: L.days}));
        if (!node.where && !readonly) {
          fields.appendChild(el("button", {type: "button", class: "btn small", text: "＋ " + L.where, onclick: function () {
            node.where = {type: "group", mode: "all", children: [{type: "attr", attr: "", op: "eq", value: ""}]}; rerender();
          }}));
        }
      } else if (node.type === "last_event") {
        fields.appendChild(input({list: "rule-events", value: node.last_event, class: "w-name", "aria-label": L.event}, function (v) { node.last_event = v.trim(); }));
        fields.appendChild(el("span", {class: "muted", text: L.for_more_than}));
        fields.appendChild(input({type: "number", min: "0", value: node.older_than_days, class: "w-num", "aria-label": L.days},
          function (v) { node.older_than_days = v === "" ? undefined : Number(v); }));
        fields.appendChild(el("span", {class: "muted", text: L.days}));
      } else if (node.type === "rfm" || node.type === "stage") {
        var choices = node.type === "rfm" ? vocab.rfm : vocab.stages;
        fields.appendChild(select(choices, node[node.type], function (v) { node[node.type] = v; }, {"aria-label": L.kinds[node.type]}));
      } else {
        fields.appendChild(el("code", {text: JSON.stringify(node.rule)}));
      }
      row.appendChild(el("div", {class: "rule-leaf-main"}, [label, fields, removeButton(list, node)]));
      if (node.type === "event" && node.where) {
        var where = renderGroup(node.where, null, nodeEls, true);
        where.classList.add("rule-where");
        if (!readonly) {
          where.querySelector(".rule-group-head").appendChild(el("button", {type: "button", class: "rule-x", text: "×", title: L.remove,
            "aria-label": L.remove, onclick: function () { node.where = null; rerender(); }}));
        }
        row.appendChild(where);
      }
      return row;
    }

    // --- Errors at the leaf ----------------------------------------------------------------
    function clearErrors() {
      root.querySelectorAll(".has-error").forEach(function (n) { n.classList.remove("has-error"); });
      root.querySelectorAll(".rule-error").forEach(function (n) { n.remove(); });
    }

    function showError(path, message) {
      clearErrors();
      if (!path) { return; }
      var best = null;
      elements.forEach(function (entry) {
        var p = entry[0];
        var prefix = path === p || path.indexOf(p + ".") === 0 || path.indexOf(p + "[") === 0;
        if (prefix && (!best || p.length > best[0].length)) { best = entry; }
      });
      var target = best && root.__nodeEls.get(best[1]);
      if (target) {
        target.classList.add("has-error");
        var msg = el("p", {class: "field-error rule-error", text: message});
        var anchor = target.querySelector(":scope > .rule-leaf-main, :scope > .rule-group-head");
        (anchor || target).insertAdjacentElement("afterend", msg);
      }
    }

    document.body.addEventListener("htmx:afterSettle", function () {
      var box = document.getElementById("live-count");
      if (box && box.dataset.errorPath) { showError(box.dataset.errorPath, box.dataset.error); }
    });

    rerender();
    var saved = document.getElementById("rule-save-error");
    if (saved) { showError(saved.dataset.errorPath, saved.textContent); }
  }

  window.JC.register("rule-editor", init);
})();
