/* The monitoring page's charts (ECharts, fed by JSON) — redrawn after the live figures change —
   and a reload when the stream says the session has ended. */
(function () {
  "use strict";

  function draw(element) {
    fetch(element.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (data) {
        if (!data || !window.echarts) { return; }
        var chart = window.echarts.getInstanceByDom(element) || window.echarts.init(element);
        chart.setOption({
          title: { text: data.title, textStyle: { fontSize: 13 } },
          tooltip: { trigger: "axis" },
          legend: { top: 22, data: [data.count_name, data.amount_name] },
          grid: { top: 60, left: 50, right: 60, bottom: 30 },
          xAxis: { type: "category", data: data.labels },
          yAxis: [{ type: "value", name: data.count_name, minInterval: 1 },
                  { type: "value", name: data.amount_name }],
          series: [
            { name: data.count_name, type: "bar", data: data.counts },
            { name: data.amount_name, type: "line", yAxisIndex: 1, data: data.amounts }
          ]
        });
        element.dataset.points = String(data.labels.length);
      })
      .catch(function () { /* the next redraw tries again */ });
  }

  function drawAll() {
    document.querySelectorAll(".chart[data-src]").forEach(draw);
  }

  var pending = null;
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.detail && event.detail.type === "figures") {
      window.clearTimeout(pending);
      pending = window.setTimeout(drawAll, 1000);
    }
  });
  document.addEventListener("htmx:sseOpen", function (event) {
    event.target.setAttribute("data-live", "open");
  });
  document.addEventListener("htmx:sseError", function (event) {
    event.target.setAttribute("data-live", "retrying");
  });
  document.addEventListener("htmx:sseClose", function (event) {
    if (event.detail && event.detail.type === "message") { window.location.reload(); }
  });
  window.addEventListener("resize", function () {
    document.querySelectorAll(".chart[data-src]").forEach(function (element) {
      var chart = window.echarts && window.echarts.getInstanceByDom(element);
      if (chart) { chart.resize(); }
    });
  });
}());
