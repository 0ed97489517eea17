/* The microgradx replay page: a slider over the snapshots fit(..., record_every=k) kept.
 *
 * Each snapshot shows the loss curve so far, the decision boundary with the data points
 * (two inputs), and one sample's network: activations in the neurons, edges coloured by
 * the weight's sign (blue +, red −) and as thick as its size, or, with "Show gradients",
 * by the gradient ∂L/∂w of that sample's squared error. No network request is made.
 *
 * JavaScript handle: the page registers in window.microgradx.pages, like the lesson page:
 *   frames (the snapshots), go(k) (returns state()),
 *   state() -> {phase: "replay", index, epoch, loss}
 */
(function () {
  "use strict";
  var registry = (window.microgradx = window.microgradx || {});
  registry.pages = registry.pages || [];
  var SVG = "http://www.w3.org/2000/svg";
  var CLASS_FILL = [[254, 226, 226], [219, 234, 254], [220, 252, 231], [254, 243, 199]];
  var CLASS_DOT = ["#dc2626", "#2563eb", "#16a34a", "#d97706"];

  function svgEl(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmt(x) { return x === null ? "nan" : String(x); }

  function mount(root) {
    var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
    var frames = data.frames, last = frames.length - 1, current = 0;
    var showGrads = false;
    var buttons = {};
    Array.prototype.forEach.call(root.querySelectorAll("[data-do]"), function (b) {
      buttons[b.getAttribute("data-do")] = b;
    });
    var counter = root.querySelector(".mgx-counter");
    var lossSvg = root.querySelector(".mgx-loss");
    var canvas = root.querySelector(".mgx-boundary");
    var net = root.querySelector(".mgx-net");
    if (!data.boundary) root.querySelector(".mgx-boundary-box").style.display = "none";

    function lossAt(epoch) {
      var i = data.epochs.indexOf(epoch);
      return i >= 0 ? data.loss[i] : null;
    }
    function drawLoss(epoch) {
      lossSvg.textContent = "";
      var finite = data.loss.filter(function (v) { return v !== null; });
      if (!finite.length) return;
      var top = Math.max.apply(null, finite), bottom = Math.min(0, Math.min.apply(null, finite));
      var n = data.epochs[data.epochs.length - 1], pts = [];
      function px(e) { return 30 + 280 * (e - 1) / Math.max(n - 1, 1); }
      function py(v) { return 180 - 160 * (v - bottom) / Math.max(top - bottom, 1e-12); }
      data.epochs.forEach(function (e, i) {
        if (e <= epoch && data.loss[i] !== null) pts.push(px(e).toFixed(1) + "," + py(data.loss[i]).toFixed(1));
      });
      lossSvg.appendChild(svgEl("line", {x1: 30, y1: 180, x2: 310, y2: 180, stroke: "#9ca3af"}));
      lossSvg.appendChild(svgEl("line", {x1: 30, y1: 20, x2: 30, y2: 180, stroke: "#9ca3af"}));
      lossSvg.appendChild(svgEl("polyline", {points: pts.join(" "), fill: "none", stroke: "#7c3aed", "stroke-width": 2}));
      // the y scale: the top and the bottom of the axis, then this epoch's loss
      lossSvg.appendChild(svgEl("text", {x: 34, y: 30, "font-size": 10}, "top " + fmt(top)));
      lossSvg.appendChild(svgEl("text", {x: 27, y: 183, "font-size": 10, "text-anchor": "end"}, fmt(bottom)));
      lossSvg.appendChild(svgEl("text", {x: 310, y: 16, "font-size": 11, "text-anchor": "end"},
        "epoch " + epoch + ": loss " + fmt(lossAt(epoch))));
      lossSvg.appendChild(svgEl("text", {x: 310, y: 196, "font-size": 11, "text-anchor": "end"}, "epoch"));
    }
    function drawBoundary(k) {
      var b = data.boundary;
      if (!b) return;
      var ctx = canvas.getContext("2d"), n = b.n, cells = b.cells[k];
      var image = ctx.createImageData(n, n);
      for (var i = 0; i < n * n; i++) {
        var c = CLASS_FILL[(+cells[i]) % CLASS_FILL.length];
        image.data[4 * i] = c[0]; image.data[4 * i + 1] = c[1]; image.data[4 * i + 2] = c[2];
        image.data[4 * i + 3] = 255;
      }
      var small = document.createElement("canvas");
      small.width = n; small.height = n;
      small.getContext("2d").putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
      b.points.forEach(function (p, i) {
        var x = (p[0] - b.x0) / (b.x1 - b.x0) * canvas.width;
        var y = (b.y1 - p[1]) / (b.y1 - b.y0) * canvas.height;
        ctx.beginPath();
        ctx.arc(x, y, i === data.sample ? 6 : 3.5, 0, 2 * Math.PI);
        ctx.fillStyle = CLASS_DOT[p[2] % CLASS_DOT.length];
        ctx.fill();
        if (i === data.sample) { ctx.lineWidth = 2; ctx.strokeStyle = "#111827"; ctx.stroke(); }
      });
    }
    function drawNet(k) {
      var f = frames[k].net, acts = f.a, layers = acts.length;
      net.textContent = "";
      var w = net.clientWidth || 600, h = net.clientHeight || 420;
      function pos(l, j) {
        var count = acts[l].length;
        // room on both sides: the inputs' values are written left of their circles, the
        // other layers' right of theirs
        return [64 + (w - 134) * l / Math.max(layers - 1, 1), h / 2 + (j - (count - 1) / 2) * Math.min(24, (h - 30) / count)];
      }
      var values = showGrads ? f.g : f.w, biggest = 1e-12;
      values.forEach(function (layer) { layer.forEach(function (row) { row.forEach(function (v) {
        if (v !== null) biggest = Math.max(biggest, Math.abs(v)); }); }); });
      values.forEach(function (layer, l) {
        layer.forEach(function (row, j) {
          row.forEach(function (v, i) {
            var a = pos(l, i), b = pos(l + 1, j), size = v === null ? 0 : Math.abs(v) / biggest;
            var line = svgEl("line", {x1: a[0], y1: a[1], x2: b[0], y2: b[1],
              stroke: v !== null && v < 0 ? "#dc2626" : "#2563eb",
              "stroke-width": (0.3 + 3 * size).toFixed(2), "stroke-opacity": (0.15 + 0.85 * size).toFixed(2)});
            line.appendChild(svgEl("title", {}, "w = " + fmt(f.w[l][j][i]) + ", ∂L/∂w = " + fmt(f.g[l][j][i])));
            net.appendChild(line);
          });
        });
      });
      acts.forEach(function (layer, l) {
        layer.forEach(function (v, j) {
          var p = pos(l, j);
          net.appendChild(svgEl("circle", {cx: p[0], cy: p[1], r: 9, fill: "#fff", stroke: "#4b5563"}));
          var label = l === 0 ? {x: p[0] - 12, y: p[1] + 4, "text-anchor": "end"} : {x: p[0] + 12, y: p[1] + 4};
          net.appendChild(svgEl("text", label, fmt(v)));
        });
      });
      root.querySelector(".mgx-net-caption").textContent = "sample " + data.sample + " (x = " +
        data.x.join(", ") + ", target " + data.target.join(", ") + "): activations, and edges by " +
        (showGrads ? "∂L/∂w" : "weight") + "; L (" + data.lossName + ") = " + fmt(f.L);
    }
    function show() {
      var f = frames[current];
      drawLoss(f.epoch);
      drawBoundary(current);
      drawNet(current);
      counter.textContent = "epoch " + f.epoch + " (snapshot " + (current + 1) + " of " + frames.length + ")";
      buttons.slider.value = String(current);
      buttons.prev.disabled = current === 0;
      buttons.next.disabled = current === last;
    }
    function go(k) {
      current = Math.max(0, Math.min(last, Math.floor(Number(k)) || 0));
      show();
      if (current === last) player.stop();
      return state();
    }
    function state() {
      var f = frames[current];
      return {phase: "replay", index: current, epoch: f.epoch, loss: lossAt(f.epoch)};
    }
    var player = registry.player(buttons, last, data.delay, go, function () { return current; });
    buttons.view.onclick = function () {
      showGrads = !showGrads;
      buttons.view.textContent = showGrads ? "Show weights" : "Show gradients";
      drawNet(current);
    };
    function keys(e) {
      var tag = (e.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "button") return;
      if (!player.key(e)) return;
      e.preventDefault();
    }
    show();
    return {root: root, frames: frames.length, go: go, state: state, keys: keys};
  }

  registry.mountAll(".mgx-replay", mount);
  if (!registry.replayKeys) {
    registry.replayKeys = true;
    document.addEventListener("keydown", function (e) {
      var pages = registry.pages.filter(function (p) { return p.root.classList.contains("mgx-replay"); });
      if (pages.length) pages[0].keys(e);
    });
  }
})();
