// Report charts (ECharts). Each chart element names its JSON data (json_script) in data-source;
// charts start on every htmx load and are disposed when htmx removes their element.
(function () {
  "use strict";
  var palette = ["#4f46e5", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b"];

  function pct(v) { return v == null ? "—" : (v * 100).toFixed(1) + "%"; }

  var builders = {
    funnel: function (data, el) {
      var steps = data.steps.map(function (s, i) {
        return { name: i === 0 ? el.dataset.labelEntered : s.name, value: s.value };
      });
      var top = steps.length ? steps[0].value : 0;
      return {
        color: palette,
        tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + p.value.toLocaleString() + " (" + pct(top ? p.value / top : null) + ")"; } },
        series: [{
          type: "funnel", sort: "none", left: "8%", width: "84%", top: 8, bottom: 8, minSize: "8%", gap: 2,
          label: { show: true, position: "inside", formatter: function (p) { return p.name + "  " + p.value.toLocaleString() + " · " + pct(top ? p.value / top : null); } },
          data: steps
        }]
      };
    },
    activity: function (data, el) {
      var names = Object.keys(data.series);
      return {
        color: palette,
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 48, right: 16, top: 36, bottom: 56 },
        dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
        xAxis: { type: "category", data: data.days },
        yAxis: { type: "value", minInterval: 1 },
        series: names.map(function (name) {
          var entered = name === "entered";
          return { name: entered ? el.dataset.labelEntered : name, type: entered ? "bar" : "line", smooth: !entered,
                   barMaxWidth: 18, data: data.series[name] };
        })
      };
    },
    variants: function (data, el) {
      var keys = data.variants.map(function (v) { return v.key; });
      return {
        color: palette,
        tooltip: {
          trigger: "axis", axisPointer: { type: "shadow" },
          formatter: function (items) {
            var v = data.variants[items[0].dataIndex];
            return "<b>" + v.key + "</b><br>" + el.dataset.labelRate + ": " + pct(v.rate) + "<br>" +
              el.dataset.labelCi + ": " + pct(v.low) + " – " + pct(v.high) + "<br>n = " + v.members.toLocaleString();
          }
        },
        grid: { left: 90, right: 40, top: 10, bottom: 28 },
        yAxis: { type: "category", data: keys, inverse: true },
        xAxis: { type: "value", axisLabel: { formatter: function (v) { return (v * 100).toFixed(0) + "%"; } } },
        series: [
          { name: el.dataset.labelRate, type: "bar", barMaxWidth: 22,
            itemStyle: { opacity: 0.35 },
            data: data.variants.map(function (v, i) { return { value: v.rate, itemStyle: { color: v.holdout ? "#94a3b8" : palette[i % palette.length] } }; }) },
          { name: el.dataset.labelCi, type: "custom",
            data: data.variants.map(function (v, i) { return [i, v.low, v.high, v.rate]; }),
            encode: { x: [1, 2], y: 0 },
            renderItem: function (params, api) {
              if (api.value(1) == null || isNaN(api.value(1))) { return null; }
              var lo = api.coord([api.value(1), api.value(0)]), hi = api.coord([api.value(2), api.value(0)]);
              var mid = api.coord([api.value(3), api.value(0)]);
              var h = api.size([0, 1])[1] * 0.3, style = { stroke: "#1f2433", lineWidth: 1.5 };
              return { type: "group", children: [
                { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: style },
                { type: "line", shape: { x1: lo[0], y1: lo[1] - h / 2, x2: lo[0], y2: lo[1] + h / 2 }, style: style },
                { type: "line", shape: { x1: hi[0], y1: hi[1] - h / 2, x2: hi[0], y2: hi[1] + h / 2 }, style: style },
                { type: "circle", shape: { cx: mid[0], cy: mid[1], r: 4 }, style: { fill: "#1f2433" } }
              ] };
            },
            z: 10 }
        ]
      };
    }
  };

  function init(el) {
    var source = document.getElementById(el.dataset.source);
    var build = builders[el.dataset.kind];
    if (!source || !build || !window.echarts) { return; }
    var chart = window.echarts.init(el, null, { locale: el.dataset.locale === "ZH" ? "ZH" : "EN", renderer: "canvas" });
    chart.setOption(build(JSON.parse(source.textContent), el));
    var resize = function () { chart.resize(); };
    window.addEventListener("resize", resize);
    el.__jcDispose = function () { window.removeEventListener("resize", resize); chart.dispose(); };
  }

  window.JC.register("report-chart", init);
})();
