// Opens the hosted page with Portico's widget and lists its events.
(function () {
  "use strict";
  var list = document.getElementById("events");

  function show(event) {
    var item = document.createElement("li");
    item.textContent = JSON.stringify(event);
    list.appendChild(item);
  }

  function open(mode) {
    // The session is created on the click, so the popup still counts as
    // opened by it.
    fetch("/session", { method: "POST" })
      .then(function (res) { return res.json(); })
      .then(function (body) {
        if (!body.token) {
          show(body);
          return;
        }
        Portico.open({ token: body.token, mode: mode, onEvent: show });
      });
  }

  document.getElementById("popup").addEventListener("click", function () { open("popup"); });
  document.getElementById("modal").addEventListener("click", function () { open("modal"); });
})();
