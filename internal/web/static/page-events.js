// The hosted page's part of the widget (docs/widget.md): posts the page's
// events to the window that opened it (popup) or framed it (modal), with
// the origin the server checked against the app's allowed_frame_origins as
// the only target. The events have the shape of Human API Connect's:
// {type: "connect" | "disconnect" | "close", sessionResults: {connected:
// [{integration, name, connection_id}], disconnected: [...]}}, the results
// being the net changes since the widget opened the page.
(function () {
  "use strict";
  var root = document.getElementById("portico-widget");
  if (!root) {
    return;
  }
  var origin = root.getAttribute("data-origin");
  var target = null;
  if (root.getAttribute("data-mode") === "popup") {
    target = window.opener;
  } else if (window.parent !== window) {
    target = window.parent;
  }
  if (!target || !origin) {
    // Not in the widget's window (the page was reopened some other way):
    // there is no one to tell.
    return;
  }
  var storeKey = "portico.sessionResults." + root.getAttribute("data-key");
  var memory = { connected: [], disconnected: [] };

  function load() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(storeKey));
      if (saved && Array.isArray(saved.connected) && Array.isArray(saved.disconnected)) {
        return saved;
      }
    } catch (e) {
      // Storage may be unavailable; the results of this page stand in.
    }
    return memory;
  }

  function save(results) {
    memory = results;
    try {
      window.sessionStorage.setItem(storeKey, JSON.stringify(results));
    } catch (e) {
      // As in load.
    }
  }

  function post(type, results) {
    target.postMessage({ type: type, sessionResults: results }, origin);
  }

  var raw = root.getAttribute("data-event");
  if (raw) {
    var change = JSON.parse(raw);
    var id = change.connection.connection_id;
    var others = function (c) { return c.connection_id !== id; };
    var results = load();
    results = { connected: results.connected.filter(others), disconnected: results.disconnected.filter(others) };
    (change.type === "connect" ? results.connected : results.disconnected).push(change.connection);
    save(results);
    post(change.type, results);
    // A reload must not report the change again.
    var url = new URL(window.location.href);
    url.searchParams.delete("event");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  root.hidden = false;
  document.getElementById("portico-close").addEventListener("click", function () {
    post("close", load());
  });
})();
