// Firstline web console: what the pages do with a script, none of which they need for reading.
//  - A list with data-poll asks the server for its results again while the page is open and visible,
//    and swaps them in when they changed.
//  - Keys: "/" searches; j and k move through a list of tickets, Enter opens the one chosen; on a
//    ticket, r writes a reply and n a note; Ctrl+Enter (or Cmd+Enter) sends what is being written.
//  - An editor with data-preview shows its Markdown as the console renders it, as it is typed.
// No inline scripts: the Content-Security-Policy allows this file only.
(function () {
  "use strict";

  var POLL_MS = 15000;

  // With the script, the buttons that stand in for it (the editor's Preview) are hidden.
  document.documentElement.classList.add("js");

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  // Polling.
  function startPolling() {
    var live = document.querySelector("[data-poll]");
    if (!live) return;
    var target = document.getElementById(live.getAttribute("data-target"));
    if (!target) return;
    var url = live.getAttribute("data-poll");
    url += (url.indexOf("?") < 0 ? "?" : "&") + "partial=results";
    function sigOf(el) {
      var n = el.querySelector("[data-sig]");
      return n ? n.getAttribute("data-sig") : el.innerHTML;
    }
    var last = sigOf(target);
    var busy = false;
    function poll() {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var fresh = document.createElement("div");
          fresh.innerHTML = html;
          var sig = sigOf(fresh);
          if (sig !== last) {
            // Swapped in only when something changed, keeping the row chosen and, if it had it, focus.
            var selected = selectedIndex();
            var focused = target.contains(document.activeElement);
            target.innerHTML = html;
            last = sig;
            select(selected, focused);
          }
          // The time the results are of, as the server says it: in the same clock and zone as every
          // other time on the page, not the browser's.
          var t = live.querySelector("time"), of = fresh.querySelector("[data-asof]");
          if (t && of) {
            t.textContent = of.getAttribute("data-asof-text");
            t.setAttribute("datetime", of.getAttribute("data-asof"));
          }
        })
        .catch(function () {})
        .then(function () { busy = false; });
    }
    setInterval(poll, parseInt(live.getAttribute("data-poll-ms"), 10) || POLL_MS);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  }

  // Moving through a list with j and k.
  function rows() {
    var t = document.querySelector("table[data-rows] tbody");
    return t ? Array.prototype.slice.call(t.rows) : [];
  }
  function selectedIndex() {
    var rs = rows();
    for (var i = 0; i < rs.length; i++) if (rs[i].classList.contains("sel")) return i;
    return -1;
  }
  function select(i, focus) {
    var rs = rows();
    if (!rs.length || i < 0) return;
    i = Math.max(0, Math.min(rs.length - 1, i));
    rs.forEach(function (r) { r.classList.remove("sel"); });
    rs[i].classList.add("sel");
    if (focus) {
      var a = rs[i].querySelector("a");
      if (a) a.focus();
    }
  }

  function keyed(k) { return document.querySelector('[data-key="' + k + '"]'); }

  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && e.target.tagName === "TEXTAREA" && e.target.form) {
      e.preventDefault();
      if (e.target.form.requestSubmit) e.target.form.requestSubmit(); else e.target.form.submit();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) {
      if (e.key === "Escape" && typing(e.target)) e.target.blur();
      return;
    }
    var el;
    switch (e.key) {
      case "/": case "r": case "n": case "e":
        el = keyed(e.key);
        if (el) { e.preventDefault(); el.focus(); }
        break;
      case "j": select(selectedIndex() + 1, true); break;
      case "k": select(Math.max(selectedIndex() - 1, 0), true); break;
    }
  });

  // The Markdown editor's live preview: the server renders it, so it is what the article will look like.
  function startPreview() {
    var body = document.querySelector("textarea[data-preview]");
    if (!body) return;
    var out = document.getElementById(body.getAttribute("data-preview"));
    var form = body.form;
    if (!out || !form) return;
    var timer = null, seq = 0;
    function render() {
      var mine = ++seq;
      var data = new URLSearchParams();
      data.set("body", body.value);
      var title = form.querySelector('[name="title"]');
      if (title) data.set("title", title.value);
      fetch("/kb/preview", { method: "POST", credentials: "same-origin", body: data })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null && mine === seq) out.innerHTML = html; })
        .catch(function () {});
    }
    function later() { clearTimeout(timer); timer = setTimeout(render, 250); }
    body.addEventListener("input", later);
    var title = form.querySelector('[name="title"]');
    if (title) title.addEventListener("input", later);
    out.setAttribute("aria-live", "polite");
  }

  function start() { startPolling(); startPreview(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
