// The pages' own script: refusals shown in place, forms emptied after they post, and
// the console's charts drawn from the data the page carries (no inline script: the
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

// a new action's answer replaces the last one's message: cleared when it is asked, so a
// message the answer brings (a refusal, or what was done) stays
document.addEventListener("htmx:beforeRequest", function (event) {
  var flash = document.getElementById("flash");
  if (flash && event.detail.requestConfig && event.detail.requestConfig.verb !== "get") {
    flash.textContent = "";
  }
});

document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.elt;
  var done = event.detail.xhr && event.detail.xhr.status < 300;  // a refusal keeps the form
  if (done && form.tagName === "FORM" && form.hasAttribute("data-reset")) {
    form.reset();
    form.querySelectorAll("[data-clear]").forEach(function (el) { el.textContent = ""; });
  }
});

function chartSources() {
  // the overview's data in a JSON script; a fragment's (a segment's portrait, swapped in
  // by htmx, which keeps no script) in the data-charts attribute of the charts' box
  var out = [];
  var script = document.getElementById("chart-data");
  if (script) { out.push([document, JSON.parse(script.textContent)]); }
  document.querySelectorAll("[data-charts]").forEach(function (el) {
    out.push([el, JSON.parse(el.getAttribute("data-charts"))]);
  });
  return out;
}

function drawCharts() {
  if (typeof echarts === "undefined") { return; }
  var font = getComputedStyle(document.body).fontFamily;
  var drawn = [];
  chartSources().forEach(function (source) { Object.keys(source[1]).forEach(function (name) {
    var charts = source[1];
    var box = source[0].querySelector('[data-chart="' + name + '"]');
    if (!box) { return; }
    var data = charts[name];
    var old = echarts.getInstanceByDom(box);
    if (old) { old.dispose(); }
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
  }); });
  current = drawn;
  document.body.setAttribute("data-charts-drawn", String(drawn.length));
}

var current = [];
window.addEventListener("resize", function () { current.forEach(function (c) { c.resize(); }); });
document.addEventListener("DOMContentLoaded", drawCharts);
// a segment's live count brings new portrait charts: draw them
document.addEventListener("htmx:afterSettle", function (event) {
  if (event.detail.target && event.detail.target.querySelector("[data-charts]")) { drawCharts(); }
});
