/* Draw every chart of the page from its figure JSON.
 *
 * A chart is <div data-figure="ID"> next to {{ figure|json_script:"ID" }}; the figure
 * comes from dashboards/figures.py. No inline scripts: the page stays CSP-friendly.
 */
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false, displayModeBar: false };

  function draw(element) {
    var source = document.getElementById(element.dataset.figure);
    if (!source || typeof window.Plotly === "undefined") {
      element.classList.add("chart-failed");
      element.textContent = "The chart could not be drawn.";
      return;
    }
    var figure = JSON.parse(source.textContent);
    if (!figure) {
      return;
    }
    if (figure.layout && figure.layout.height) {
      /* a short chart keeps its own height, also when `responsive` redraws it */
      element.style.height = figure.layout.height + "px";
    }
    window.Plotly.newPlot(element, figure.data, figure.layout, CONFIG).then(function () {
      element.dataset.drawn = "true";
      element.on("plotly_click", follow);
    });
  }

  /* A trace's meta.links (one URL per point) leads from a bar to what lies behind it. */
  function follow(event) {
    var point = event && event.points && event.points[0];
    var links = point && point.data && point.data.meta && point.data.meta.links;
    var link = links && links[point.pointNumber];
    if (typeof link === "string" && link.charAt(0) === "/") {
      window.location.assign(link);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-figure]").forEach(draw);
  });
})();
