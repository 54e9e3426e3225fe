// The customer page's score history: a line of the score over time on coloured bands, one per
// grade of the master scale. The data comes from a <script type="application/json"> element the
// server renders (no inline scripts, so a strict CSP stays possible); colours from the CSS
// variables --grade-a … --grade-e, so the chart and the grade badges always agree.
(function () {
  "use strict";

  if (typeof window.echarts === "undefined") return;
  var echarts = window.echarts;
  var encode = echarts.format.encodeHTML;

  function colour(styles, grade) {
    return styles.getPropertyValue("--grade-" + grade.toLowerCase()).trim() || "#98a3b3";
  }

  function band(styles, item) {
    var tint = colour(styles, item.grade);
    return [
      {
        name: item.grade,
        yAxis: item.lower,
        itemStyle: { color: tint, opacity: 0.14 },
        label: { position: "insideRight", color: tint, fontWeight: "bold" },
      },
      { yAxis: item.upper },
    ];
  }

  function tooltip(data) {
    var text = data.text;
    return function (params) {
      var point = Array.isArray(params) ? params[0] : params;
      var detail = point && data.details[point.dataIndex];
      if (!detail) return "";
      return (
        encode(detail.date) +
        "<br>" + encode(text.score) + ": <b>" + encode(detail.score) + "</b>" +
        "<br>" + encode(text.grade) + ": " + encode(detail.grade) + " · " + encode(detail.risk) +
        "<br>" + encode(text.pd) + ": " + encode(detail.pd)
      );
    };
  }

  function draw(container) {
    var source = document.getElementById(container.dataset.chartSource || "");
    if (!source) return;
    var data = JSON.parse(source.textContent || "{}");
    var styles = window.getComputedStyle(document.documentElement);
    var line = styles.getPropertyValue("--navy-800").trim() || "#13315a";
    var chart = echarts.init(container, null, { renderer: "svg", locale: data.locale });
    chart.setOption({
      animation: false,
      grid: { left: 56, right: 40, top: 24, bottom: 36 },
      tooltip: { trigger: "axis", formatter: tooltip(data) },
      xAxis: { type: "time", splitLine: { show: false } },
      yAxis: {
        type: "value",
        min: 0,
        max: data.max,
        name: data.text.score,
        splitLine: { show: false },
      },
      series: [
        {
          type: "line",
          name: data.text.score,
          data: data.points,
          showSymbol: true,
          symbolSize: 8,
          lineStyle: { color: line, width: 2 },
          itemStyle: { color: line },
          markArea: { silent: true, data: data.bands.map(function (item) { return band(styles, item); }) },
        },
      ],
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  document.querySelectorAll("[data-chart-source]").forEach(draw);
})();
