// The preview page's only script: live reload, and frames as tall as the email inside them.
"use strict";

// Live reload. The page was rendered at a token; the server sends "reload" once files change
// after it (including changes made before this stream opened).
(function liveReload() {
  const token = document.body.dataset.reloadToken;
  if (!token || !window.EventSource) return;
  const source = new EventSource("/events?since=" + encodeURIComponent(token));
  source.addEventListener("reload", function () {
    source.close();
    sessionStorage.setItem("digest-preview-scroll", String(window.scrollY));
    window.location.reload();
  });
})();

// Frames grow to fit the email, so only the page scrolls. They are sandboxed without scripts;
// allow-same-origin is what lets this page (not the email) measure them.
function fitFrame(frame) {
  const doc = frame.contentDocument;
  if (!doc || !doc.documentElement) return;
  frame.style.height = doc.documentElement.scrollHeight + "px";
}

function restoreScroll() {
  const saved = sessionStorage.getItem("digest-preview-scroll");
  if (saved === null) return;
  sessionStorage.removeItem("digest-preview-scroll");
  window.scrollTo(0, Number(saved));
}

window.addEventListener("load", function () {
  const frames = document.querySelectorAll("iframe.email");
  frames.forEach(function (frame) {
    fitFrame(frame);
    const doc = frame.contentDocument;
    if (doc && window.ResizeObserver) {
      new ResizeObserver(function () { fitFrame(frame); }).observe(doc.documentElement);
    }
  });
  restoreScroll();
  document.body.dataset.ready = "true";
});
