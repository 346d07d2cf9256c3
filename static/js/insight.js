/* The insight page: posts per minute stacked by network (Chart.js), redrawn when a post
   arrives in the feed's room; the table is the server's own, fetched again with it. */
"use strict";
Tagstory.curator = true;  // a curators' page: its sockets are served by the primary (docs/deploy.md)

(() => {
  const canvas = document.getElementById("volume-chart");
  const apiUrl = document.body.dataset.insightApi;
  const COLOURS = ["#1f5fa8", "#b34700", "#2e7d32", "#6a1b9a", "#8d6e00", "#00695c"];

  /* A fill pattern per network (stripes, dots, cross-hatch, …) so colour is never the only cue. */
  function pattern(index) {
    const tile = document.createElement("canvas");
    tile.width = tile.height = 10;
    const ctx = tile.getContext("2d");
    ctx.fillStyle = COLOURS[index % COLOURS.length];
    ctx.fillRect(0, 0, 10, 10);
    ctx.strokeStyle = ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.lineWidth = 2;
    const kind = index % 4;
    ctx.beginPath();
    if (kind === 1) { ctx.moveTo(0, 10); ctx.lineTo(10, 0); }
    if (kind === 2) { ctx.arc(5, 5, 2, 0, 2 * Math.PI); ctx.fill(); }
    if (kind === 3) { ctx.moveTo(0, 5); ctx.lineTo(10, 5); ctx.moveTo(5, 0); ctx.lineTo(5, 10); }
    ctx.stroke();
    return ctx.createPattern(tile, "repeat");
  }

  function chartData(insight) {
    const minutes = [...new Set(insight.volume.map((r) => r.minute))].sort();
    const datasets = insight.networks.map((network, i) => {
      const byMinute = new Map(insight.volume.filter((r) => r.network === network).map((r) => [r.minute, r.count]));
      return {
        label: network,
        data: minutes.map((m) => byMinute.get(m) || 0),
        backgroundColor: pattern(i),
        borderColor: COLOURS[i % COLOURS.length],
        borderWidth: 1,
      };
    });
    return { labels: minutes.map((m) => m.slice(11, 16)), datasets };
  }

  /* Direct labels: each non-zero segment shows its network's name and count. */
  const directLabels = {
    id: "directLabels",
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.font = "12px sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      chart.data.datasets.forEach((dataset, d) => {
        chart.getDatasetMeta(d).data.forEach((bar, i) => {
          const value = dataset.data[i];
          if (!value || Math.abs(bar.base - bar.y) < 14) return;
          const text = `${dataset.label} ${value}`;
          const y = (bar.y + bar.base) / 2;
          ctx.fillStyle = "#fff";
          ctx.fillRect(bar.x - ctx.measureText(text).width / 2 - 2, y - 8, ctx.measureText(text).width + 4, 16);
          ctx.fillStyle = "#111";
          ctx.fillText(text, bar.x, y);
        });
      });
      ctx.restore();
    },
  };

  let chart = null;
  function draw(insight) {
    const data = chartData(insight);
    if (chart) { chart.data = data; chart.update(); }
    else {
      chart = new Chart(canvas, {
        type: "bar",
        data,
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: { x: { stacked: true, title: { display: true, text: "Minute (UTC)" } },
                    y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Posts" } } },
          plugins: { legend: { position: "bottom" } },
        },
        plugins: [directLabels],
      });
    }
    const total = insight.volume.reduce((sum, r) => sum + r.count, 0);
    canvas.dataset.total = String(total);
  }

  async function refresh() {
    const [numbers, page] = await Promise.all([
      fetch(apiUrl, { credentials: "same-origin" }).then((r) => r.json()),
      fetch(location.href, { credentials: "same-origin" }).then((r) => r.text()),
    ]);
    const fresh = new DOMParser().parseFromString(page, "text/html");
    document.getElementById("insight-table").replaceWith(fresh.getElementById("insight-table"));
    document.getElementById("insight-window").replaceWith(fresh.getElementById("insight-window"));
    draw(numbers);
  }

  let pending = null;
  function soon() {  // many posts at once: one refresh
    if (!pending) pending = setTimeout(() => { pending = null; refresh(); }, 500);
  }

  fetch(apiUrl, { credentials: "same-origin" }).then((r) => r.json()).then(draw);
  /* Approved posts arrive in the feed's room, pending and hidden ones in its desk room. */
  const feed = document.body.dataset.feed;
  const after = Number(document.body.dataset.after);
  const onEvent = (name) => { if (name === "item" || name === "story") soon(); };
  Tagstory.follow({ feed }, after, onEvent);
  Tagstory.follow({ feed, desk: true }, after, onEvent);
  if (document.body.dataset.story) Tagstory.follow({ story: document.body.dataset.story }, after, onEvent);  // pins
})();
