/* Playback shared by the microgradx pages (the lesson and the replay): Previous, Next,
 * Play/Pause, the slider and the keys ← → Home End and space, over frames 0..last.
 *
 * registry.player(buttons, last, delay, go, position, held) wires the buttons and returns
 * {stop, toggle, key}: go(k) shows frame k, position() is the frame shown, and held(k),
 * if given, is true while frame k waits for the viewer (a quiz question): play pauses
 * there. key(e) handles the shared keys and says whether it did.
 *
 * registry.mountAll(selector, mount) mounts every page root of the document matching
 * selector once (a notebook may show several) and adds what mount(root) returns to
 * registry.pages.
 */
(function () {
  "use strict";
  var registry = (window.microgradx = window.microgradx || {});
  if (registry.player) return;
  registry.pages = registry.pages || [];
  registry.mountAll = function (selector, mount) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (root) {
      if (root.getAttribute("data-mounted")) return;
      root.setAttribute("data-mounted", "1");
      registry.pages.push(mount(root));
    });
  };
  registry.player = function (buttons, last, delay, go, position, held) {
    var timer = null;
    function stop() {
      if (timer !== null) { clearInterval(timer); timer = null; }
      buttons.play.textContent = "Play";
    }
    function toggle() {
      if (timer !== null) { stop(); return; }
      if (position() === last) go(0);
      buttons.play.textContent = "Pause";
      timer = setInterval(function () {
        if (held && held(position())) { stop(); return; }
        go(position() + 1);
      }, delay);
    }
    function jump(k) { stop(); go(k); }
    buttons.prev.onclick = function () { jump(position() - 1); };
    buttons.next.onclick = function () { jump(position() + 1); };
    buttons.play.onclick = toggle;
    buttons.slider.max = String(last);
    buttons.slider.addEventListener("input", function () { jump(+buttons.slider.value); });
    function key(e) {
      if (e.key === "ArrowLeft") jump(position() - 1);
      else if (e.key === "ArrowRight") jump(position() + 1);
      else if (e.key === "Home") jump(0);
      else if (e.key === "End") jump(last);
      else if (e.key === " ") toggle();
      else return false;
      return true;
    }
    return {stop: stop, toggle: toggle, key: key};
  };
})();
