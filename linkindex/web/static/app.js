// Draws the charts of a page: each <canvas data-chart="NAME"> from the series NAME
// of the JSON block #chart-data. Chart.js comes with the package (static/vendor).
"use strict";
(function () {
  const PALETTE = ["#2457c5", "#e07b39", "#3a9d5d", "#c23b6b", "#7a5cc7", "#2aa1b3", "#b39b2a", "#6b7280"];

  function config(spec) {
    const round = spec.type === "doughnut";
    const datasets = spec.datasets.map((set, i) => ({
      label: set.label,
      data: set.values,
      backgroundColor: round ? PALETTE : PALETTE[i % PALETTE.length],
      borderColor: round ? "#fff" : PALETTE[i % PALETTE.length],
      fill: false,
      tension: 0.2,
    }));
    return {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: { legend: { display: round || datasets.length > 1, position: "bottom" } },
        scales: round ? {} : {
          x: { stacked: !!spec.stacked, ticks: { autoSkip: true } },
          y: { stacked: !!spec.stacked, beginAtZero: true },
        },
      },
    };
  }

  function draw() {
    const holder = document.getElementById("chart-data");
    if (!holder || typeof Chart === "undefined") return;
    const charts = JSON.parse(holder.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const spec = charts[canvas.dataset.chart];
      if (!spec || spec.labels.length === 0) {
        const note = document.createElement("p");
        note.className = "empty";
        note.textContent = "Nothing to chart.";
        canvas.replaceWith(note);
        return;
      }
      new Chart(canvas, config(spec));
      canvas.dataset.drawn = "true";
    });
  }

  // Printed pages get charts sized for the paper.
  window.addEventListener("beforeprint", () => {
    if (typeof Chart !== "undefined") Object.values(Chart.instances).forEach((chart) => chart.resize());
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
