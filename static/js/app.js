// Global behaviour shared by every page. Page islands (canvas, charts) live in their own files.
(function () {
  "use strict";
  // Re-run island initialisers on every htmx swap, and let them clean up before content leaves.
  document.addEventListener("htmx:beforeCleanupElement", function (e) {
    var el = e.target;
    if (el && el.__jcDispose) { el.__jcDispose(); }
  });
  window.JC = window.JC || {
    islands: {},
    register: function (name, init) {
      this.islands[name] = init;
      document.addEventListener("htmx:load", function (e) {
        e.target.querySelectorAll('[data-island="' + name + '"]').forEach(function (el) {
          if (!el.__jcReady) { el.__jcReady = true; init(el); }
        });
      });
    },
    csrf: function () { return document.querySelector('meta[name="csrf-token"]').content; },
  };
})();
