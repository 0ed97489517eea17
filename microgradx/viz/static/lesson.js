/* The microgradx lesson page: the forward and the backward pass of one graph, step by step.
 *
 * The page holds one drawing (SVG; a table when Graphviz was missing) and, as JSON, the
 * values, the chain-rule terms and, per frame, only what changes. This script applies a
 * frame to the drawing, explains a node when it is clicked, and in a quiz asks for each
 * gradient before revealing it. It makes no network request.
 *
 * JavaScript handle (for slides and tests): every page registers itself, in page order, in
 *
 *   window.microgradx.pages[i] = {
 *     frames,              // the number of frames
 *     go(k),               // show frame k (0 .. frames-1); returns state()
 *     state(),             // {phase: "forward" | "backward", index: k,
 *                          //  values: {name: number}, grads: {name: number}}:
 *                          //  the values and gradients the page shows at frame k
 *     explain(name),       // open the panel for the value called name; returns
 *                          //  {value, grad, terms: [{user, upstream, local}]}
 *                          //  (value / grad null while not known; terms so far)
 *     answer(name, number) // in a quiz: answer the question for name at this frame;
 *                          //  returns {correct, expected}
 *     score()              // {right, answered}
 *   }
 *
 * Names are those the page shows (labels, variable names, short formulas). A number is
 * right when it is within a relative 1e-3 or an absolute 1e-6 of the expected one.
 */
(function () {
  "use strict";
  var registry = (window.microgradx = window.microgradx || {});
  registry.pages = registry.pages || [];
  var RED = "#dc2626", ORANGE = "#ea580c", VIOLET = "#7c3aed";

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function parseNumber(text) {
    if (text === "inf") return Infinity;
    if (text === "-inf") return -Infinity;
    if (text === "nan") return NaN;
    return parseFloat(text);
  }
  // A student's answer: the whole text must be one number ("4 apples" is not 4);
  // inf, -inf, Infinity and nan are numbers too. Anything else: null.
  function readAnswer(text) {
    var t = text.trim();
    if (/^[+-]?(inf|infinity)$/i.test(t)) return t.charAt(0) === "-" ? -Infinity : Infinity;
    if (/^nan$/i.test(t)) return NaN;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
    return Number(t);
  }
  function numberOf(pair) {  // [number, text]: non-finite numbers travel as text only
    return pair[0] === null ? parseNumber(pair[1]) : pair[0];
  }
  function close(a, b) {
    if (typeof a !== "number" || isNaN(a)) return typeof b === "number" && isNaN(b);
    if (!isFinite(b)) return a === b;
    var d = Math.abs(a - b);
    return d <= 1e-6 || d <= 1e-3 * Math.abs(b);
  }

  function mount(root) {
    var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
    var nodes = data.nodes, frames = data.frames, last = frames.length - 1, out = data.out;
    var firstBackward = 0;
    while (frames[firstBackward].p !== "b") firstBackward++;
    var byName = {};
    nodes.forEach(function (n, i) {
      if (!byName.hasOwnProperty(n.n)) byName[n.n] = i;
      n.users = [];
    });
    nodes.forEach(function (n, i) {
      (n.k || []).forEach(function (c) { if (nodes[c].users.indexOf(i) < 0) nodes[c].users.push(i); });
    });
    function q(sel) { return root.querySelector(sel); }
    function term(i) { return nodes[i].m || nodes[i].n; }  // a name inside math: (x·y)
    var buttons = {};
    each(root.querySelectorAll("[data-do]"), function (b) { buttons[b.getAttribute("data-do")] = b; });
    var caption = q(".mgx-caption"), counter = q(".mgx-counter"), scoreBox = q(".mgx-score");
    var quizBox = q(".mgx-quiz"), explainBox = q(".mgx-explain");

    // --- the drawing: each value's texts and outlines, found by the drawing's node ids
    var svg = q(".mgx-graph svg"), whole = null, follow = data.follow;
    if (follow) root.classList.add("mgx-follow");  // big graphs: a fixed frame to zoom in
    var shapes = {}; // "v3" or "v3op" -> {group, borders, value, grad}
    function shape(id) { return shapes[id] || (shapes[id] = {group: null, borders: [], value: null, grad: null}); }
    var edgesInto = {}; // "v3op" -> [edge groups]
    if (svg) {
      whole = svg.getAttribute("viewBox");
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      svg.setAttribute("preserveAspectRatio", "xMidYMin meet");
      each(svg.querySelectorAll("g.node"), function (g) {
        var title = g.querySelector("title");
        if (!title) return;
        var id = title.textContent, s = shape(id), m = /^v(\d+)(op)?$/.exec(id);
        s.group = g;
        each(g.querySelectorAll("path, ellipse, polygon"), function (p) {
          var stroke = p.getAttribute("stroke");
          if (stroke && stroke !== "transparent" && stroke !== "none") {
            s.borders.push([p, stroke, p.getAttribute("stroke-width") || "1"]);
          }
        });
        if (!m) return;
        var n = nodes[+m[1]];
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "button");
        g.setAttribute("aria-label", "explain " + n.n);
        if (m[2]) return;
        each(g.querySelectorAll("text"), function (t) {
          if (t.textContent === "data " + n.vt) s.value = t;
          if (t.textContent === "grad " + n.gt) s.grad = t;
        });
      });
      each(svg.querySelectorAll("g.edge"), function (g) {
        var title = g.querySelector("title");
        if (!title) return;
        var ends = title.textContent.split("->");
        (edgesInto[ends[1]] = edgesInto[ends[1]] || []).push(g);
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "button");
      });
    }
    each(root.querySelectorAll("tr[data-node]"), function (row) {
      var s = shape("v" + row.getAttribute("data-node"));
      s.row = row;
      s.value = row.querySelector('[data-cell="value"]');
      s.grad = row.querySelector('[data-cell="grad"]');
    });

    // --- state: what frame k shows
    var current = 0;
    var revealedUpTo = 0;      // quiz questions of frames below this are revealed
    var asked = {};            // "k:i" -> "right" | "wrong" | "shown"
    var right = 0, answered = 0;
    var chosen = null;         // the node the panel explains

    function pending(k) {
      // the gradients of frame k still asked for (quiz only; not the output's own 1)
      if (!data.quiz || frames[k].p !== "b" || frames[k].a === undefined || k < revealedUpTo) return [];
      return Object.keys(frames[k].g).filter(function (i) { return !asked[k + ":" + i]; }).map(Number);
    }
    function known(k) {
      var values = new Array(nodes.length), grads = {};
      var allValues = frames[k].p === "b" || firstBackward === 0;
      nodes.forEach(function (n, i) { values[i] = allValues || !n.k; });
      if (!allValues) {
        for (var j = 1; j <= k; j++) if (frames[j].a !== undefined) values[frames[j].a] = true;
      }
      for (var b = firstBackward; b <= k; b++) {
        var g = frames[b].g;
        for (var i in g) grads[i] = g[i];
      }
      pending(k).forEach(function (i) {
        // the value before this frame's term, if any
        delete grads[i];
        for (var b2 = k - 1; b2 >= firstBackward; b2--) {
          if (frames[b2].g.hasOwnProperty(i)) { grads[i] = frames[b2].g[i]; break; }
        }
      });
      return {values: values, grads: grads};
    }

    function setText(node, text, unknown) {
      if (!node) return;
      if (node.textContent !== text) node.textContent = text;
      if (node.classList) node.classList.toggle("unknown", !!unknown);
    }
    function outline(id, colour) {
      var s = shapes[id];
      if (!s) return;
      s.borders.forEach(function (b) {
        b[0].setAttribute("stroke", colour || b[1]);
        b[0].setAttribute("stroke-width", colour ? "3" : b[2]);
      });
      if (s.row) {
        s.row.classList.toggle("active", colour === RED);
        s.row.classList.toggle("updated", colour === ORANGE);
      }
    }
    var marked = [];
    function unmark() { marked.forEach(function (f) { f(); }); marked = []; }
    function mark(id, colour) { outline(id, colour); marked.push(function () { outline(id, null); }); }

    function view(f) {
      buttons.zoom.textContent = follow ? "Whole graph" : "Zoom on step";
      if (!svg) { buttons.zoom.style.display = "none"; return; }
      if (!data.follow) buttons.zoom.style.display = "none";
      var ids = f.a !== undefined ? ["v" + f.a, "v" + f.a + "op"] : [];
      (f.u || []).forEach(function (i) { ids.push("v" + i); });
      var t = svg.querySelector("g.graph").transform.baseVal.consolidate();
      var m = t ? t.matrix : svg.createSVGMatrix(), box = null;
      ids.forEach(function (id) {
        var s = shapes[id];
        if (!s || !s.group) return;
        var b = s.group.getBBox();
        [[b.x, b.y], [b.x + b.width, b.y + b.height]].forEach(function (c) {
          var x = m.a * c[0] + m.c * c[1] + m.e, y = m.b * c[0] + m.d * c[1] + m.f;
          if (!box) box = {x0: x, y0: y, x1: x, y1: y};
          box.x0 = Math.min(box.x0, x); box.x1 = Math.max(box.x1, x);
          box.y0 = Math.min(box.y0, y); box.y1 = Math.max(box.y1, y);
        });
      });
      if (!follow || !box) { svg.setAttribute("viewBox", whole); return; }
      var area = q(".mgx-graph").getBoundingClientRect();
      var aspect = area.width / Math.max(area.height, 1);
      var w = Math.max(box.x1 - box.x0 + 240, 700), h = Math.max(box.y1 - box.y0 + 120, w / aspect);
      w = Math.max(w, h * aspect);
      var cx = (box.x0 + box.x1) / 2, cy = (box.y0 + box.y1) / 2;
      svg.setAttribute("viewBox", [cx - w / 2, cy - h / 2, w, h].join(" "));
    }

    function show() {
      var f = frames[current], k = known(current);
      nodes.forEach(function (n, i) {
        var s = shapes["v" + i];
        if (!s) return;
        var v = k.values[i], g = k.grads[i];
        setText(s.value, (s.row ? "" : "data ") + (v ? n.vt : "?"), !v);
        setText(s.grad, (s.row ? "" : "grad ") + (g ? g[1] : "?"), !g);
      });
      unmark();
      if (f.p === "b") (f.u || []).forEach(function (i) { mark("v" + i, ORANGE); });
      if (f.a !== undefined) {
        mark("v" + f.a, RED);
        mark("v" + f.a + "op", RED);
        (edgesInto["v" + f.a + "op"] || []).forEach(function (g) {
          g.classList.add("active");
          marked.push(function () { g.classList.remove("active"); });
        });
      }
      view(f);
      caption.textContent = captionText(f);
      caption.className = "mgx-caption " + (f.p === "b" ? "backward" : "forward");
      var forwardCount = firstBackward - 1;
      counter.textContent = f.p === "f"
        ? "forward pass: step " + current + " of " + forwardCount
        : "backward pass: step " + (current - firstBackward) + " of " + (last - firstBackward);
      buttons.prev.disabled = current === 0;
      buttons.next.disabled = current === last;
      buttons.slider.value = String(current);
      scoreBox.textContent = data.quiz ? right + " of " + answered + " right" : "";
      showQuiz();
      if (chosen !== null) explainPanel(chosen);
    }

    function captionText(f) {
      // in a quiz, the lines that would give a pending answer away wait for it
      var p = pending(current);
      if (!p.length || !f.lc) return f.c;
      return f.c.split("\n").map(function (line, j) {
        var i = j > 0 ? f.lc[j - 1] : -1;
        return p.indexOf(i) >= 0 ? "∂" + out + "/∂" + term(i) + " = ?" : line;
      }).join("\n");
    }
    function go(k) {
      k = Math.max(0, Math.min(last, Math.floor(Number(k)) || 0));
      if (k > current) revealedUpTo = Math.max(revealedUpTo, k);
      // leaving frames behind reveals what they asked
      current = k;
      show();
      if (current === last) player.stop();
      return state();
    }

    // --- the quiz
    function sumText(i, k) {
      var terms = termsAt(i, k);
      if (!terms.length) return "∂" + out + "/∂" + out + " = 1 (the output)";
      var parts = terms.map(function (t) { return t.upstreamText + " · " + t.localText; });
      var names = terms.map(function (t) {
        var u = term(t.userIndex);
        return "∂" + out + "/∂" + u + " · ∂" + u + "/∂" + term(i);
      });
      return "∂" + out + "/∂" + term(i) + " = " + names.join(" + ") + " = " + parts.join(" + ");
    }
    function showQuiz() {
      var p = pending(current);
      quizBox.hidden = !data.quiz || (!p.length && !quizBox.getAttribute("data-result"));
      if (!data.quiz) return;
      var result = quizBox.getAttribute("data-result");
      quizBox.textContent = "";
      if (result && quizBox.getAttribute("data-frame") === String(current)) {
        var r = JSON.parse(result);
        quizBox.appendChild(el("p", r.correct ? "right" : "wrong",
          r.correct ? "Right: " + r.text : "Not quite: you said " + r.given + "; " + r.text));
        if (!r.correct) quizBox.appendChild(el("p", "mgx-math", r.sum));
      } else {
        quizBox.removeAttribute("data-result");
      }
      if (!p.length) {
        if (result) quizBox.appendChild(el("p", "mgx-hint", "Press Next to go on."));
        quizBox.hidden = !result;
        return;
      }
      var i = p[0], name = nodes[i].n;
      var label = el("label", "", "Predict ∂" + out + "/∂" + term(i) + " (Enter): ");
      var input = el("input");
      input.type = "text";
      input.setAttribute("inputmode", "decimal");
      input.setAttribute("aria-label", "∂" + out + "/∂" + term(i));
      input.addEventListener("keydown", function (e) {
        if (e.key !== "Enter") return;
        e.preventDefault();
        var given = readAnswer(input.value);
        if (given === null) {
          input.setCustomValidity("a number, please");
          input.reportValidity();
          return;
        }
        answer(name, given);
        var next = quizBox.querySelector("input");
        if (next) next.focus();
      });
      label.appendChild(input);
      quizBox.appendChild(label);
      quizBox.hidden = false;
    }
    function answer(name, number) {
      var i = byName[name];
      if (i === undefined) throw new Error("no value called " + name);
      var p = pending(current), k = current;
      var expected, text;
      if (p.indexOf(i) >= 0) {
        expected = frames[k].g[i];
      } else {
        var g = known(k).grads[i];
        expected = g || [nodes[i].g, nodes[i].gt];
      }
      var value = expected[0] === null ? parseNumber(expected[1]) : expected[0];
      var correct = close(Number(number), value);
      if (p.indexOf(i) >= 0) {
        asked[k + ":" + i] = correct ? "right" : "wrong";
        answered += 1;
        if (correct) right += 1;
        text = "∂" + out + "/∂" + term(i) + " = " + expected[1];
        quizBox.setAttribute("data-frame", String(k));
        quizBox.setAttribute("data-result", JSON.stringify({
          correct: correct, given: String(number), text: text, sum: sumText(i, k)}));
        show();
      }
      return {correct: correct, expected: value};
    }

    // --- click to explain
    function termsAt(i, k) {
      var g = known(k).grads, upTo = pending(k).indexOf(i) >= 0 ? k - 1 : k;
      return (nodes[i].t || []).filter(function (t) {
        return t[5] <= upTo && g.hasOwnProperty(String(i));
      }).map(function (t) {
        return {userIndex: t[0], user: nodes[t[0]].n, upstream: t[1], local: t[2],
                upstreamText: t[3], localText: t[4]};
      });
    }
    function explainData(i) {
      var k = known(current), g = k.grads[i];
      return {  // null: not known yet (inf and nan are given as numbers)
        value: k.values[i] ? numberOf([nodes[i].v, nodes[i].vt]) : null,
        grad: g ? numberOf(g) : null,
        terms: termsAt(i, current).map(function (t) {
          return {user: t.user, upstream: numberOf([t.upstream, t.upstreamText]),
                  local: numberOf([t.local, t.localText])};
        })
      };
    }
    function localOf(user, child) {
      var found = (nodes[child].t || []).filter(function (t) { return t[0] === user; });
      return found.length ? found[0][4] : "?";
    }
    function explainPanel(i) {
      var n = nodes[i], k = known(current), g = k.grads[i];
      explainBox.textContent = "";
      each(root.querySelectorAll(".explained"), function (e) { e.classList.remove("explained"); });
      if (shapes["v" + i] && shapes["v" + i].group) shapes["v" + i].group.classList.add("explained");
      explainBox.appendChild(el("h2", "", n.n));
      explainBox.appendChild(el("p", "mgx-math", "value: " + (k.values[i] ? n.vt : "not computed yet")));
      if (n.k) {
        var row = data.ops[n.op];
        explainBox.appendChild(el("p", "mgx-math", "forward: " + n.d));
        explainBox.appendChild(el("p", "", "op " + row.s + " (" + n.op + "): " + row.f));
        var list = el("ul");
        n.k.forEach(function (c) {
          list.appendChild(el("li", "mgx-math",
            "∂" + term(i) + "/∂" + term(c) + " = " + localOf(i, c)));
        });
        explainBox.appendChild(el("p", "", "local derivatives:"));
        explainBox.appendChild(list);
      } else {
        explainBox.appendChild(el("p", "", "an input (a leaf): no operation made it"));
      }
      if (!g) {
        explainBox.appendChild(el("p", "mgx-hint", "gradient: not known yet"));
      } else if (i === data.root) {
        explainBox.appendChild(el("p", "mgx-math", "∂" + out + "/∂" + out + " = 1 (the output)"));
      } else {
        explainBox.appendChild(el("p", "", "gradient: Σ over users, upstream × local"));
        explainBox.appendChild(el("p", "mgx-math", sumText(i, current) + " = " + g[1]));
        var terms = el("ul");
        termsAt(i, current).forEach(function (t) {
          terms.appendChild(el("li", "mgx-math", "from " + t.user + ": " + t.upstreamText + " · " + t.localText));
        });
        explainBox.appendChild(terms);
        var waiting = n.users.length - termsAt(i, current).length;
        if (waiting > 0) {
          explainBox.appendChild(el("p", "mgx-hint", waiting + " more user(s) still to pass their gradient back"));
        }
      }
    }
    function explain(name) {
      var i = byName[name];
      if (i === undefined) throw new Error("no value called " + name);
      chosen = i;
      explainPanel(i);
      return explainData(i);
    }
    function explainEdge(tail, head) {
      var t = /^v(\d+)$/.exec(tail), h = /^v(\d+)(op)?$/.exec(head);
      if (!t || !h) return;
      var child = +t[1], user = +h[1];
      if (child === user) { explain(nodes[user].n); return; }
      chosen = null;
      explainBox.textContent = "";
      explainBox.appendChild(el("h2", "", nodes[child].n + " → " + nodes[user].n));
      explainBox.appendChild(el("p", "mgx-math", "local derivative ∂" + term(user) + "/∂" +
        term(child) + " = " + localOf(user, child)));
      explainBox.appendChild(el("p", "", "in " + nodes[user].d + "; " + data.ops[nodes[user].op].f));
    }
    function activate(target) {
      var g = target.closest ? target.closest("g.node, g.edge, tr[data-node]") : null;
      if (!g) return false;
      if (g.tagName.toLowerCase() === "tr") { explain(nodes[+g.getAttribute("data-node")].n); return true; }
      var title = g.querySelector("title");
      if (!title) return false;
      var text = title.textContent;
      if (g.classList.contains("edge")) {
        var ends = text.split("->");
        explainEdge(ends[0], ends[1]);
        return true;
      }
      var m = /^v(\d+)(op)?$/.exec(text);
      if (m) { explain(nodes[+m[1]].n); return true; }
      return false;
    }
    root.addEventListener("click", function (e) { activate(e.target); });
    root.addEventListener("focusin", function (e) {  // Tab to a value: explained at once
      var t = e.target;
      if (t.classList && (t.classList.contains("node") || t.classList.contains("edge"))) activate(t);
    });

    // --- controls
    // play pauses at a frame whose question is still open
    var player = registry.player(buttons, last, data.delay, go,
      function () { return current; }, function (k) { return pending(k).length > 0; });
    buttons.reset.onclick = function () {
      player.stop(); asked = {}; right = 0; answered = 0; revealedUpTo = 0; chosen = null;
      quizBox.removeAttribute("data-result");
      explainBox.textContent = "";
      explainBox.appendChild(el("p", "mgx-hint", "Click a value or an edge to see how it is computed."));
      current = -1; go(0);
    };
    buttons.zoom.onclick = function () { follow = !follow; view(frames[current]); };
    function keys(e) {
      var tag = (e.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea") return;
      if ((e.key === "Enter" || e.key === " ") && activate(e.target)) { e.preventDefault(); return; }
      if (tag === "button" && (e.key === " " || e.key === "Enter")) return;
      if (e.key === "z") buttons.zoom.onclick();
      else if (!player.key(e)) return;
      e.preventDefault();
    }

    function state() {
      var k = known(current), values = {}, grads = {};
      nodes.forEach(function (n, i) {
        if (k.values[i] && !values.hasOwnProperty(n.n)) values[n.n] = n.v === null ? parseNumber(n.vt) : n.v;
      });
      Object.keys(k.grads).forEach(function (i) {
        var g = k.grads[i], name = nodes[+i].n;
        if (!grads.hasOwnProperty(name)) grads[name] = g[0] === null ? parseNumber(g[1]) : g[0];
      });
      return {phase: frames[current].p === "b" ? "backward" : "forward", index: current,
              values: values, grads: grads};
    }

    show();
    return {
      root: root,
      frames: frames.length,
      go: go,
      state: state,
      explain: explain,
      answer: answer,
      score: function () { return {right: right, answered: answered}; },
      keys: keys
    };
  }

  registry.mountAll(".mgx-lesson", mount);
  if (!registry.listening) {
    registry.listening = true;
    document.addEventListener("keydown", function (e) {
      var pages = registry.pages, page = pages[0];
      for (var i = 0; i < pages.length; i++) {
        if (pages[i].root.contains(document.activeElement)) { page = pages[i]; break; }
      }
      if (page) page.keys(e);
    });
  }
})();
