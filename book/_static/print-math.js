// On paper nothing scrolls: a display formula wider than the page is shrunk to fit it while
// printing (MathJax 3 does not break lines), and given back its size afterwards.
(function () {
  "use strict";
  function fit() {
    document.querySelectorAll('mjx-container[display="true"]').forEach(function (box) {
      var math = box.firstElementChild;
      if (!math) return;
      if (box.dataset.screenSize === undefined) box.dataset.screenSize = box.style.fontSize;
      box.style.fontSize = box.dataset.screenSize;
      var room = box.clientWidth, need = math.getBoundingClientRect().width;
      if (room > 0 && need > room) {
        var size = parseFloat(box.dataset.screenSize) || 100;
        box.style.fontSize = Math.floor(size * room / need * 0.98) + "%";
      }
    });
  }
  function unfit() {
    document.querySelectorAll('mjx-container[display="true"]').forEach(function (box) {
      if (box.dataset.screenSize !== undefined) box.style.fontSize = box.dataset.screenSize;
    });
  }
  window.matchMedia("print").addEventListener("change", function (e) {
    if (e.matches) { fit(); } else { unfit(); }
  });
  window.addEventListener("beforeprint", fit);
  window.addEventListener("afterprint", unfit);
})();
