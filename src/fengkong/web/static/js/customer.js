// The customer page's own charts: the related-party graph, the financial-ratio trends and the
// days past due by month. Each container names its kind (data-customer-chart) and the
// <script type="application/json"> element holding its data (data-customer-source), which the
// server renders: no inline scripts, so a strict CSP stays possible. The SVG renderer keeps the
// charts readable from the DOM in browser tests; grade colours come from the CSS variables
// --grade-a … --grade-e, so nodes and grade badges always agree.
(function () {
  "use strict";

  if (typeof window.echarts === "undefined") return;
  var echarts = window.echarts;
  var encode = echarts.format.encodeHTML;
  var LINE_COLOURS = ["#13315a", "#2563a8", "#8a5300", "#1c7c4a", "#b3261e", "#6b4fa0"];

  function read(id) {
    var source = document.getElementById(id || "");
    return source ? JSON.parse(source.textContent || "{}") : null;
  }

  function init(container, locale) {
    var chart = echarts.init(container, null, { renderer: "svg", locale: locale || "ZH" });
    var pending = null;
    // Resized once the window has settled, and only while the chart is on screen: a resize
    // mid-way (a print preview, a full-page capture) made ECharts' graph read a layout it had
    // not made yet.
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        if (container.offsetWidth > 0 && container.offsetHeight > 0) chart.resize();
      }, 150);
    });
    return chart;
  }

  function gradeColour(styles, grade) {
    if (!grade) return styles.getPropertyValue("--gray-400").trim() || "#98a3b3";
    return styles.getPropertyValue("--grade-" + grade.toLowerCase()).trim() || "#98a3b3";
  }

  // The customer in the middle, its related parties on a circle around it: a fixed layout (a
  // force layout keeps stepping on resize and was seen to fail in ECharts' own code).
  function star(index, count, center) {
    if (center) return [0, 0];
    var angle = (2 * Math.PI * index) / Math.max(count - 1, 1) - Math.PI / 2;
    return [Math.round(Math.cos(angle) * 100), Math.round(Math.sin(angle) * 100)];
  }

  function graph(container, data) {
    var styles = window.getComputedStyle(document.documentElement);
    var chart = init(container, data.locale);
    chart.setOption({
      animation: false,
      tooltip: {
        formatter: function (params) {
          if (params.dataType === "edge") return encode(params.data.label);
          var grade = params.data.grade || data.text.unrated;
          return encode(params.data.name) + "<br>" + encode(grade);
        },
      },
      series: [
        {
          type: "graph",
          layout: "none",
          roam: true,
          draggable: false,
          label: { show: true, position: "bottom", width: 140, overflow: "truncate" },
          edgeLabel: {
            show: true,
            fontSize: 11,
            formatter: function (params) {
              return params.data.label;
            },
          },
          edgeSymbol: ["none", "arrow"],
          data: data.nodes.map(function (node, index) {
            var place = star(index, data.nodes.length, node.center);
            return {
              id: node.id,
              x: place[0],
              y: place[1],
              name: node.name,
              grade: node.grade,
              href: node.href,
              symbolSize: node.center ? 46 : 32,
              value: node.grade || "",
              itemStyle: {
                color: gradeColour(styles, node.grade),
                borderColor: node.center ? "#13315a" : "#ffffff",
                borderWidth: node.center ? 3 : 1,
              },
            };
          }),
          links: data.links.map(function (link) {
            return { source: link.source, target: link.target, label: link.label };
          }),
        },
      ],
    });
    chart.on("click", function (params) {
      if (params.dataType === "node" && params.data.href) window.location.assign(params.data.href);
    });
  }

  function ratios(container, data) {
    var chart = init(container, data.locale);
    chart.setOption({
      animation: false,
      color: LINE_COLOURS,
      grid: { left: 56, right: 56, top: 40, bottom: 36 },
      legend: { top: 0, type: "scroll" },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.periods },
      yAxis: [
        { type: "value", name: data.text.percent, axisLabel: { formatter: "{value}%" } },
        { type: "value", name: data.text.times, axisLabel: { formatter: "{value}×" }, splitLine: { show: false } },
      ],
      series: data.series.map(function (item) {
        return {
          type: "line",
          name: item.name,
          data: item.values,
          yAxisIndex: item.unit === "percent" ? 0 : 1,
          connectNulls: false,
          showSymbol: true,
          tooltip: { valueFormatter: function (value) {
            return value === null || value === undefined ? "—" : value + (item.unit === "percent" ? "%" : "×");
          } },
        };
      }),
    });
  }

  function dpd(container, data) {
    var chart = init(container, data.locale);
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 24, top: 40, bottom: 36 },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", name: data.text.days, minInterval: 1 },
      series: [
        { type: "bar", name: data.text.worst, data: data.worst, itemStyle: { color: "#e07b24" }, barMaxWidth: 18 },
        { type: "line", name: data.text.weighted, data: data.weighted, itemStyle: { color: "#13315a" }, connectNulls: false },
      ],
    });
  }

  var DRAW = { graph: graph, ratios: ratios, dpd: dpd };

  document.querySelectorAll("[data-customer-chart]").forEach(function (container) {
    var draw = DRAW[container.dataset.customerChart];
    var data = read(container.dataset.customerSource);
    if (draw && data) draw(container, data);
  });
})();
