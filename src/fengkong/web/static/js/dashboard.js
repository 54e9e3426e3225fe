// The dashboard's charts. The server renders their numbers and labels (already in the page's
// language) into <script type="application/json" id="dashboard-data">; each element with
// data-dashboard-chart names the chart it holds. No inline scripts, so a strict CSP stays
// possible; the SVG renderer keeps the charts testable from the DOM.
(function () {
  "use strict";

  if (typeof window.echarts === "undefined") return;
  var echarts = window.echarts;
  var source = document.getElementById("dashboard-data");
  if (!source) return;
  var data = JSON.parse(source.textContent || "{}");
  var language = document.documentElement.lang || "zh-CN";
  var moneyFormat = new Intl.NumberFormat(language, { style: "currency", currency: "CNY" });
  var compactFormat = new Intl.NumberFormat(language, {
    notation: "compact",
    maximumFractionDigits: 1,
  });
  var countFormat = new Intl.NumberFormat(language);

  var GRADE_COLOURS = { A: "#1c7c4a", B: "#5a9a2e", C: "#b7860b", D: "#d0621b", E: "#b3261e" };
  var UNRATED_COLOUR = "#98a3b3";
  var BUCKET_COLOURS = ["#1c7c4a", "#c9a227", "#e07b24", "#c8432b", "#7a1f1f"];
  var SEVERITY_COLOURS = { low: "#5a6778", medium: "#c9a227", high: "#e07b24", critical: "#b3261e" };
  var EAD_COLOUR = "#1d4f91";
  var LOSS_COLOUR = "#c8432b";

  function money(value) {
    return moneyFormat.format(value);
  }

  function compact(value) {
    return compactFormat.format(value);
  }

  function count(value) {
    return countFormat.format(value);
  }

  function gradeColour(grade) {
    return GRADE_COLOURS[grade] || UNRATED_COLOUR;
  }

  function coloured(values, colours) {
    return values.map(function (value, index) {
      return { value: value, itemStyle: { color: colours[index] } };
    });
  }

  function columns(categories, series, options) {
    var settings = options || {};
    return {
      animation: false,
      legend: { show: series.length > 1, top: 0 },
      grid: { left: 8, right: 8, top: series.length > 1 ? 32 : 16, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: settings.format || count,
      },
      xAxis: { type: "category", data: categories, axisLabel: { interval: 0 } },
      yAxis: settings.yAxis || {
        type: "value",
        minInterval: 1,
        axisLabel: { formatter: settings.format === money ? compact : count },
      },
      series: series,
    };
  }

  function rows(categories, values, colour) {
    return {
      animation: false,
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: money },
      xAxis: { type: "value", axisLabel: { formatter: compact } },
      yAxis: { type: "category", data: categories, inverse: true, axisLabel: { width: 140, overflow: "truncate" } },
      series: [{ type: "bar", name: data.text.ead, data: values, itemStyle: { color: colour } }],
    };
  }

  var charts = {
    customers_by_grade: function (chart) {
      var colours = chart.grades.map(function (grade) {
        return grade ? gradeColour(grade) : UNRATED_COLOUR;
      });
      return columns(chart.labels, [
        { type: "bar", name: data.text.customers, data: coloured(chart.customers, colours) },
      ]);
    },
    exposure_by_grade: function (chart) {
      // Expected loss is a few per cent of EAD: its own axis on the right keeps it readable.
      var axis = { type: "value", axisLabel: { formatter: compact } };
      var option = columns(
        chart.labels,
        [
          { type: "bar", name: data.text.ead, data: chart.ead, itemStyle: { color: EAD_COLOUR } },
          {
            type: "bar",
            name: data.text.expected_loss,
            data: chart.expected_loss,
            yAxisIndex: 1,
            itemStyle: { color: LOSS_COLOUR },
          },
        ],
        { format: money, yAxis: [axis, axis] }
      );
      return option;
    },
    ageing: function (chart) {
      return columns(
        chart.labels,
        [{ type: "bar", name: data.text.receivables, data: coloured(chart.amounts, BUCKET_COLOURS) }],
        { format: money }
      );
    },
    industries: function (chart) {
      return rows(chart.labels, chart.ead, EAD_COLOUR);
    },
    regions: function (chart) {
      return rows(chart.labels, chart.ead, EAD_COLOUR);
    },
    alert_severity: function (chart) {
      var colours = chart.severities.map(function (severity) {
        return SEVERITY_COLOURS[severity];
      });
      return columns(chart.labels, [
        { type: "bar", name: data.text.open_alerts, data: coloured(chart.open, colours) },
      ]);
    },
    alert_trend: function (chart) {
      var option = columns(
        chart.weeks,
        chart.raised.map(function (values, index) {
          return {
            type: "bar",
            stack: "raised",
            name: chart.labels[index],
            data: values,
            itemStyle: { color: SEVERITY_COLOURS[chart.severities[index]] },
          };
        })
      );
      // Twelve weeks' dates do not fit side by side: every other one, slanted.
      option.xAxis.axisLabel = { interval: 1, rotate: 30 };
      return option;
    },
  };

  function chartData(kind) {
    if (kind === "alert_severity" || kind === "alert_trend") return data.alerts;
    return data[kind];
  }

  document.querySelectorAll("[data-dashboard-chart]").forEach(function (container) {
    var kind = container.dataset.dashboardChart;
    var chart = chartData(kind);
    if (!chart || !charts[kind]) return;
    var instance = echarts.init(container, null, { renderer: "svg", locale: data.locale });
    instance.setOption(charts[kind](chart));
    window.addEventListener("resize", function () {
      instance.resize();
    });
  });
})();
