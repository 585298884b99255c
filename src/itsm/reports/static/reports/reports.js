/* Draws a report's charts with the packaged plotly from the JSON block the page carries
   (no inline script: the Content-Security-Policy allows scripts from this site only). */
(function () {
  "use strict";

  function traces(chart) {
    return chart.series.map(function (series) {
      if (chart.kind === "line") {
        return { type: "scatter", mode: "lines+markers", name: series.name, x: chart.x, y: series.values };
      }
      if (chart.kind === "pie") {
        return { type: "pie", labels: chart.x, values: series.values, name: series.name };
      }
      return { type: "bar", name: series.name, x: chart.x, y: series.values };
    });
  }

  function boxFor(container, chart) {
    var box = document.createElement("div");
    box.className = "chart";
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", chart.title + " (the table below has the same figures)");
    container.appendChild(box);
    return box;
  }

  function draw(box, chart) {
    var layout = {
      title: { text: chart.title, font: { size: 15 } },
      barmode: chart.kind === "stacked" ? "stack" : "group",
      margin: { l: 50, r: 20, t: 50, b: 80 },
      legend: { orientation: "h", y: -0.25 },
      xaxis: { type: "category", automargin: true },
      yaxis: { rangemode: "tozero", automargin: true },
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
      font: { family: "system-ui, sans-serif" }
    };
    window.Plotly.newPlot(box, traces(chart), layout, {
      displaylogo: false,
      responsive: true,
      modeBarButtonsToRemove: ["sendDataToCloud", "lasso2d", "select2d"]
    });
  }

  function start() {
    var container = document.getElementById("charts");
    if (!container || !window.Plotly) { return; }
    var data = document.getElementById(container.getAttribute("data-charts"));
    if (!data) { return; }
    var charts = JSON.parse(data.textContent);
    // Every box first, then the plots: the grid lays out all columns before plotly measures
    // a box (a lone first box would span the whole row and keep that width).
    var boxes = charts.map(function (chart) { return boxFor(container, chart); });
    charts.forEach(function (chart, index) { draw(boxes[index], chart); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
