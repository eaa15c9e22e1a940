// The preview page's only script: live reload, frames as tall as the email inside them, and
// story buttons that answer at once (busy state, then the page's new content swapped in).
"use strict";

// A button's request in flight: a reload announced meanwhile waits for its answer, which may
// already be the page it would reload to.
let pendingReload = null;
let swapping = false;
// An ordinary form post ("Add a story by URL") is navigating away.
let leaving = false;

function reloadPage() {
  sessionStorage.setItem("digest-preview-scroll", String(window.scrollY));
  window.location.reload();
}

// Live reload. The page was rendered at a token; the server sends "reload" once files change
// after it (including changes made before this stream opened).
(function liveReload() {
  const token = document.body.dataset.reloadToken;
  if (!token || !window.EventSource) return;
  const source = new EventSource("/events?since=" + encodeURIComponent(token));
  source.addEventListener("reload", function (event) {
    if (leaving) return; // a form posted the ordinary way: a reload now would cancel it
    if (event.data === document.body.dataset.reloadToken) return; // the page swapped in has it
    if (swapping) { pendingReload = event.data; return; }
    source.close();
    reloadPage();
  });
})();

// Frames grow to fit the email, so only the page scrolls. They are sandboxed without scripts;
// allow-same-origin is what lets this page (not the email) measure them.
function fitFrame(frame) {
  const doc = frame.contentDocument;
  if (!doc || !doc.documentElement) return;
  frame.style.height = doc.documentElement.scrollHeight + "px";
}

function followFrames() {
  document.querySelectorAll("iframe.email").forEach(function (frame) {
    const start = function () {
      fitFrame(frame);
      const doc = frame.contentDocument;
      if (doc && window.ResizeObserver) {
        new ResizeObserver(function () { fitFrame(frame); }).observe(doc.documentElement);
      }
    };
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") start();
    frame.addEventListener("load", start);
  });
}

// Resolves once every frame shows its email (a frame kept from before already does).
function framesLoaded() {
  const waits = Array.from(document.querySelectorAll("iframe.email")).map(function (frame) {
    const doc = frame.contentDocument;
    if (doc && doc.URL === "about:srcdoc" && doc.readyState === "complete") return Promise.resolve();
    return new Promise(function (resolve) { frame.addEventListener("load", resolve, { once: true }); });
  });
  const enough = new Promise(function (resolve) { setTimeout(resolve, 5000); });
  return Promise.race([Promise.all(waits), enough]);
}

function restoreScroll() {
  const saved = sessionStorage.getItem("digest-preview-scroll");
  if (saved === null) return;
  sessionStorage.removeItem("digest-preview-scroll");
  window.scrollTo(0, Number(saved));
}

// The new page's content in place of the old: the story panel, frames (only if the email
// changed, so they do not flash), checks and text. The URL stays the issue's own.
function swapIn(html, url) {
  const next = new DOMParser().parseFromString(html, "text/html");
  const nextMain = next.querySelector("main");
  if (!nextMain || !next.querySelector(".workspace")) {
    // An error page (or an issue that stopped rendering): show it whole.
    document.title = next.title;
    document.body.replaceWith(document.adoptNode(next.body));
    return;
  }
  const oldFrames = Array.from(document.querySelectorAll("iframe.email"));
  const newFrames = Array.from(nextMain.querySelectorAll("iframe.email"));
  newFrames.forEach(function (frame, index) {
    const old = oldFrames[index];
    if (old && old.getAttribute("srcdoc") === frame.getAttribute("srcdoc")) frame.replaceWith(old);
  });
  document.querySelector("main").replaceWith(document.adoptNode(nextMain));
  document.title = next.title;
  document.body.dataset.reloadToken = next.body.dataset.reloadToken;
  if (url) history.replaceState(null, "", url);
  followFrames();
}

function setBusy(form, busy) {
  document.body.classList.toggle("busy", busy);
  if (busy) delete document.body.dataset.ready; // "ready" again once the whole page is updated
  const story = form.closest(".story");
  if (story && busy) story.setAttribute("aria-busy", "true");
  document.querySelectorAll("form[data-swap] button").forEach(function (b) { b.disabled = busy; });
}

// A story button: the story list comes back first (composed, not rendered: a few ms) and
// replaces the old one; then the whole page (frames, checks, text) is fetched and swapped in.
document.addEventListener("submit", async function (event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-swap") || !window.fetch) return;
  event.preventDefault();
  if (swapping) return;
  const data = new FormData(form);
  if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
  swapping = true;
  setBusy(form, true);
  try {
    const response = await fetch(form.getAttribute("action"), {
      method: "POST", body: new URLSearchParams(data), headers: { "X-Preview-Part": "stories" },
    });
    const html = await response.text();
    if (!response.ok) {
      swapIn(html, null);
      return;
    }
    const next = new DOMParser().parseFromString(html, "text/html");
    const stories = next.getElementById("stories");
    const frames = document.querySelector(".frames");
    if (stories) {
      document.getElementById("stories").replaceWith(document.adoptNode(stories));
      if (frames) frames.classList.add("updating");
      document.body.classList.remove("busy");
      // The new buttons wait (disabled, so it shows) until the page around them is current too.
      document.querySelectorAll("form[data-swap] button").forEach(function (b) { b.disabled = true; });
      const page = await fetch(window.location.pathname + window.location.search);
      swapIn(await page.text(), null);
      await framesLoaded();
    } else {
      swapIn(html, response.url);
    }
  } catch (error) {
    form.submit(); // no answer: let the browser post it the ordinary way
    return;
  } finally {
    swapping = false;
    setBusy(form, false);
    document.body.dataset.ready = "true";
  }
  if (pendingReload !== null && pendingReload !== document.body.dataset.reloadToken) reloadPage();
  pendingReload = null;
  document.body.dataset.swapped = String(Number(document.body.dataset.swapped || 0) + 1);
});

// Drag to reorder More from: a story dropped on another of its own kind (sponsored blocks keep
// their slots) is moved there as one Up/Down of several steps, through the same form and route.
// The keyboard way is the Up and Down buttons beside each story.
let dragged = null;

function movable(item) {
  return Array.from(document.querySelectorAll("li.story")).filter(function (li) {
    return li.dataset.kind === item.dataset.kind && li.querySelector(".drag-handle");
  });
}

document.addEventListener("dragstart", function (event) {
  const handle = event.target instanceof Element ? event.target.closest(".drag-handle") : null;
  if (!handle) return;
  dragged = handle.closest("li.story");
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", dragged.dataset.story);
});

function dropTarget(event) {
  const target = event.target instanceof Element ? event.target.closest("li.story") : null;
  if (!dragged || !target || target === dragged || !movable(dragged).includes(target)) return null;
  return target;
}

document.addEventListener("dragover", function (event) {
  if (dropTarget(event)) event.preventDefault();
});

document.addEventListener("drop", function (event) {
  const target = dropTarget(event);
  const source = dragged;
  dragged = null;
  if (!target || !source) return;
  event.preventDefault();
  const group = movable(source);
  const steps = group.indexOf(target) - group.indexOf(source);
  const form = source.querySelector("form.actions");
  const button = document.createElement("button");
  button.name = "action";
  button.value = steps < 0 ? "up" : "down";
  button.hidden = true;
  const count = document.createElement("input");
  count.type = "hidden";
  count.name = "steps";
  count.value = String(Math.abs(steps));
  form.append(count, button);
  form.requestSubmit(button);
});

// The subject's and preheader's character counters, with the guidance once a field is past it
// (inboxes cut a subject after about 60 characters, a preheader after about 100).
document.addEventListener("input", function (event) {
  const field = event.target;
  if (!(field instanceof HTMLInputElement) || !field.dataset.guidance) return;
  const counter = document.getElementById(field.getAttribute("aria-describedby"));
  if (!counter) return;
  const limit = Number(field.dataset.guidance);
  const length = Array.from(field.value).length;
  counter.textContent = length + " / " + limit + " characters" +
    (length > limit ? ": inboxes cut it after " + limit : "");
  counter.classList.toggle("over", length > limit);
});

window.addEventListener("load", function () {
  followFrames();
  restoreScroll();
  document.body.dataset.ready = "true";
});

// Registered after the story buttons' handler: a post it did not take over leaves the page.
document.addEventListener("submit", function (event) {
  if (!event.defaultPrevented) leaving = true;
});

// Sending from the desk: the send log's figures as they change, then how it ended (send.html).
(function followSend() {
  const line = document.querySelector("[data-progress]");
  if (!line || !window.EventSource) return;
  const source = new EventSource(line.dataset.progress);
  source.addEventListener("progress", function (event) {
    line.textContent = event.data;
  });
  source.addEventListener("done", function (event) {
    source.close();
    const outcome = document.createElement("p");
    outcome.className = "send-outcome";
    outcome.textContent = event.data;
    line.after(outcome);
    line.removeAttribute("data-progress");
  });
})();
