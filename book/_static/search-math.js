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
  function typeset() {
    if (!(window.MathJax && MathJax.typesetPromise)) { timer = setTimeout(typeset, 150); return; }
    observer.disconnect();  // typesetting changes the list too
    MathJax.typesetPromise([results]).catch(function () {}).then(function () {
      results.dataset.typeset = "true";
      observer.observe(results, {childList: true, subtree: true});
    });
  }
  observer.observe(results, {childList: true, subtree: true});
})();
