// The pages' own script: refusals shown in place, forms emptied after they post, and
// the overview's charts drawn from the data the page carries (no inline script: the
// Content-Security-Policy allows scripts from this server's files only).
"use strict";

document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status >= 400 && status < 500 && event.detail.serverResponse) {
    // a refusal names its reason: show it in the flash area, leave the page as it is
    event.detail.shouldSwap = true;
    event.detail.isError = false;
    event.detail.target = document.getElementById("flash");
    event.detail.swapOverride = "innerHTML";
  }
});

document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.elt;
  if (event.detail.successful && form.tagName === "FORM" && form.hasAttribute("data-reset")) {
    form.reset();
    form.querySelectorAll("[data-clear]").forEach(function (el) { el.textContent = ""; });
    var flash = document.getElementById("flash");
    if (flash) { flash.textContent = ""; }
  }
});

function drawCharts() {
  var source = document.getElementById("chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  var font = getComputedStyle(document.body).fontFamily;
  var drawn = [];
  Object.keys(charts).forEach(function (name) {
    var box = document.getElementById("chart-" + name);
    if (!box) { return; }
    var data = charts[name];
    var chart = echarts.init(box, null, { renderer: "canvas" });
    var option = { textStyle: { fontFamily: font }, animation: false,
                   tooltip: { trigger: data.pie ? "item" : "axis" },
                   grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true } };
    if (data.pie) {
      option.series = [{ type: "pie", radius: ["40%", "70%"], data: data.pie,
                         label: { formatter: "{b}\n{d}%" } }];
    } else {
      option.xAxis = { type: "value", minInterval: 1 };
      option.yAxis = { type: "category", data: data.labels, inverse: true,
                       axisLabel: { width: 120, overflow: "truncate" } };
      option.series = [{ type: "bar", data: data.values, label: { show: true, position: "right" } }];
    }
    chart.setOption(option);
    drawn.push(chart);
  });
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute("data-charts-drawn", String(drawn.length));
}

document.addEventListener("DOMContentLoaded", drawCharts);
