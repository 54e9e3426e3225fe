// The customer page's exposure chart: the ageing bar. Data comes from a
// <script type="application/json"> element the server renders (no inline scripts, so a strict
// CSP stays possible); the SVG renderer keeps the chart testable from the DOM.
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

  document.querySelectorAll("[data-exposure-chart]").forEach(ageing);
})();
