// Exposure charts: the customer page's ageing bar and the dashboard's portfolio charts. Data
// comes from <script type="application/json"> elements the server renders (no inline scripts,
// so a strict CSP stays possible); the SVG renderer keeps the charts testable from the DOM.
(function () {
  "use strict";

  if (typeof window.echarts === "undefined") return;
  var echarts = window.echarts;
  var BUCKET_COLOURS = ["#1c7c4a", "#c9a227", "#e07b24", "#c8432b", "#7a1f1f"];

  function read(id) {
    var source = document.getElementById(id || "");
    return source ? JSON.parse(source.textContent || "{}") : null;
  }

  function init(container, locale) {
    var chart = echarts.init(container, null, { renderer: "svg", locale: locale });
    window.addEventListener("resize", function () {
      chart.resize();
    });
    return chart;
  }

  function ageing(container) {
    var data = read(container.dataset.exposureChart);
    if (!data) return;
    init(container, data.locale).setOption({
      animation: false,
      grid: { left: 8, right: 8, top: 8, bottom: 8, containLabel: false },
      tooltip: {
        trigger: "item",
        formatter: function (params) {
          var item = data.series[params.seriesIndex];
          return echarts.format.encodeHTML(item.label + ": " + item.text);
        },
      },
      xAxis: { type: "value", show: false },
      yAxis: { type: "category", data: [""], show: false },
      series: data.series.map(function (item, index) {
        return {
          type: "bar",
          stack: "ageing",
          name: item.label,
          data: [item.value],
          barWidth: 28,
          itemStyle: { color: BUCKET_COLOURS[index] },
        };
      }),
    });
  }

  function bars(container, data) {
    var kind = container.dataset.portfolioChart;
    var categories = data[kind];
    var series;
    if (kind === "grades") {
      series = [
        { type: "bar", name: data.text.ead, data: data.grade_ead },
        { type: "bar", name: data.text.el, data: data.grade_el },
      ];
    } else if (kind === "industries") {
      series = [{ type: "bar", name: data.text.ead, data: data.industry_ead }];
    } else {
      series = [
        {
          type: "bar",
          name: data.text.receivables,
          data: data.bucket_amounts.map(function (value, index) {
            return { value: value, itemStyle: { color: BUCKET_COLOURS[index] } };
          }),
        },
      ];
    }
    init(container, data.locale).setOption({
      animation: false,
      legend: { show: series.length > 1, top: 0 },
      grid: { left: 64, right: 16, top: 32, bottom: 32 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: categories },
      yAxis: { type: "value" },
      series: series,
    });
  }

  document.querySelectorAll("[data-exposure-chart]").forEach(ageing);
  document.querySelectorAll("[data-portfolio-chart]").forEach(function (container) {
    var data = read(container.dataset.chartData);
    if (data) bars(container, data);
  });
})();
