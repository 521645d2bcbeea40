// Sphinx's search lists each hit with a piece of its text as written, TeX included: typeset the
// math there as on the pages, so a reader sees formulas, not backslashes.
(function () {
  "use strict";
  var results = document.getElementById("search-results");
  if (!results) return;
  results.classList.add("mathjax_process");  // MathJax skips the rest of the page
  var timer = null;
  var observer = new MutationObserver(function () {
    clearTimeout(timer);
    timer = setTimeout(typeset, 150);  // once the hits stop arriving
  });
  // A hit's piece of text may start or end inside a formula ("...s 3\) (ReLU6)"): a lone
  // delimiter cannot be typeset, so the cut formula gives way to an ellipsis.
  function trimCutMath(el) {
    var t = el.textContent, pairs = [["\\(", "\\)"], ["\\[", "\\]"]];
    pairs.forEach(function (p) {
      var open = t.indexOf(p[0]), close = t.indexOf(p[1]);
      if (close !== -1 && (open === -1 || close < open)) t = "\u2026" + t.slice(close + 2);
      var lastOpen = t.lastIndexOf(p[0]), lastClose = t.lastIndexOf(p[1]);
      if (lastOpen !== -1 && lastOpen > lastClose) t = t.slice(0, lastOpen) + "\u2026";
    });
    if (t !== el.textContent) el.textContent = t;
  }
  function typeset() {
    if (!(window.MathJax && MathJax.typesetPromise)) { timer = setTimeout(typeset, 150); return; }
    observer.disconnect();  // typesetting changes the list too
    Array.prototype.forEach.call(results.querySelectorAll("p.context"), trimCutMath);
    MathJax.typesetPromise([results]).catch(function () {}).then(function () {
      results.dataset.typeset = "true";
      observer.observe(results, {childList: true, subtree: true});
    });
  }
  observer.observe(results, {childList: true, subtree: true});
})();
