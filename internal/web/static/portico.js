// Portico's widget (docs/widget.md), served at /connect/portico.js: opens
// the hosted page in a popup or in a modal iframe and hands the page's
// events to onEvent. A plain script: no build step, no eval, no inline
// handlers or style attributes, so it runs under a strict CSP.
//
//   Portico.open({url: configurationURL, mode: "popup", onEvent: function (e) { ... }})
//   Portico.open({token: sessionToken, mode: "modal", onEvent: ...})
//
// e is {type: "connect" | "disconnect" | "close", sessionResults:
// {connected: [{integration, name, connection_id}], disconnected: [...]}}.
// "close" comes once, when the user closes the page (its Close control, the
// popup's window, the modal's close button or Escape) or the app calls the
// returned handle's close().
(function () {
  "use strict";
  var script = document.currentScript;
  var scriptURL = script && script.src ? script.src : window.location.href;
  var types = ["connect", "disconnect", "close"];

  function emptyResults() {
    return { connected: [], disconnected: [] };
  }

  function modal(name, onClose) {
    var overlay = document.createElement("div");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", "Connect your tools");
    Object.assign(overlay.style, {
      position: "fixed", inset: "0", zIndex: "2147483647", background: "rgba(17, 24, 39, 0.6)",
      display: "flex", alignItems: "center", justifyContent: "center"
    });
    var box = document.createElement("div");
    Object.assign(box.style, { position: "relative", width: "min(560px, 100vw)", height: "min(760px, 100vh)" });
    var frame = document.createElement("iframe");
    frame.name = name;
    frame.title = "Connect your tools";
    Object.assign(frame.style, { width: "100%", height: "100%", border: "0", borderRadius: "12px", background: "#fff" });
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Close");
    Object.assign(close.style, {
      position: "absolute", top: "4px", right: "4px", width: "2.25rem", height: "2.25rem",
      font: "1.5rem/1 sans-serif", border: "0", borderRadius: "50%", background: "#fff", cursor: "pointer"
    });
    close.addEventListener("click", onClose);
    box.appendChild(frame);
    box.appendChild(close);
    overlay.appendChild(box);
    document.body.appendChild(overlay);
    frame.focus();
    return { overlay: overlay, frame: frame };
  }

  function popup(url, name) {
    var w = 520;
    var h = 760;
    var left = Math.max(0, window.screenX + (window.outerWidth - w) / 2);
    var top = Math.max(0, window.screenY + (window.outerHeight - h) / 2);
    var win = window.open(url, name, "popup,width=" + w + ",height=" + h + ",left=" + left + ",top=" + top);
    if (!win) {
      throw new Error("Portico.open: the browser blocked the popup; call it from a click handler");
    }
    return win;
  }

  function open(options) {
    var o = options || {};
    var mode = o.mode || "popup";
    if (mode !== "popup" && mode !== "modal") {
      throw new Error('Portico.open: mode must be "popup" or "modal"');
    }
    if (!o.url === !o.token) {
      throw new Error("Portico.open: give one of url and token");
    }
    var onEvent = typeof o.onEvent === "function" ? o.onEvent : function () {};
    var name = "portico-" + Math.random().toString(36).slice(2);
    var target = o.url ? new URL(o.url, window.location.href) : new URL("/connect/open", o.baseURL || scriptURL);
    var start = "about:blank";
    if (o.url) {
      target.searchParams.set("widget", mode);
      target.searchParams.set("origin", window.location.origin);
      start = target.href;
    }

    var opener = document.activeElement;
    var win = null;
    var parts = null;
    var timer = null;
    var closed = false;
    var last = emptyResults();

    function finish() {
      if (closed) {
        return;
      }
      closed = true;
      window.removeEventListener("message", onMessage);
      document.removeEventListener("keydown", onKey);
      if (timer) {
        window.clearInterval(timer);
      }
      if (parts) {
        parts.overlay.remove();
        // Back to where the user was, as a dialog does.
        if (opener && typeof opener.focus === "function") {
          opener.focus();
        }
      } else if (win && !win.closed) {
        win.close();
      }
      onEvent({ type: "close", sessionResults: last });
    }

    function onMessage(e) {
      if (e.origin !== target.origin || e.source !== win) {
        return;
      }
      var d = e.data;
      if (!d || typeof d !== "object" || types.indexOf(d.type) < 0) {
        return;
      }
      if (d.sessionResults && Array.isArray(d.sessionResults.connected) && Array.isArray(d.sessionResults.disconnected)) {
        last = { connected: d.sessionResults.connected, disconnected: d.sessionResults.disconnected };
      }
      if (d.type === "close") {
        finish();
        return;
      }
      onEvent({ type: d.type, sessionResults: last });
    }

    function onKey(e) {
      if (e.key === "Escape") {
        finish();
      }
    }

    window.addEventListener("message", onMessage);
    if (mode === "popup") {
      win = popup(start, name);
      timer = window.setInterval(function () {
        if (win.closed) {
          finish();
        }
      }, 500);
    } else {
      parts = modal(name, finish);
      if (o.url) {
        parts.frame.src = start;
      }
      win = parts.frame.contentWindow;
      document.addEventListener("keydown", onKey);
    }
    if (o.token) {
      var form = document.createElement("form");
      form.method = "post";
      form.action = target.href;
      form.target = name;
      var fields = { token: o.token, widget: mode, origin: window.location.origin };
      Object.keys(fields).forEach(function (k) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = k;
        input.value = fields[k];
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
      form.remove();
    }
    return { close: finish };
  }

  window.Portico = { open: open };
})();
