// Charts for Linli (ECharts, served from the project). linliCompareChart draws one bar
// series per measure for the children of a node; the legend picks which ones show.
(function () {
  window.linliCompareChart = function (id, dataId) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var d = JSON.parse(document.getElementById(dataId).textContent);
    var chart = echarts.init(el);
    var selected = {};
    d.series.forEach(function (s, i) { selected[s.name] = i < 2; });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: d.series.map(function (s) { return s.name; }), selected: selected, type: "scroll" },
      grid: { left: 60, right: 20, top: 40, bottom: 70 },
      xAxis: { type: "category", data: d.names, axisLabel: { rotate: d.names.length > 6 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: d.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  };
})();
