/* Service Desk UI behaviour: keyboard shortcuts, list navigation, priority preview, version sync.
   Loaded as a static file so a strict Content-Security-Policy (script-src 'self') holds. */
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  /* --- j/k list navigation ------------------------------------------------------------- */
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-list] [data-row]"));
  }
  function currentIndex(list) {
    for (var i = 0; i < list.length; i++) if (list[i].classList.contains("is-current")) return i;
    return -1;
  }
  function move(delta) {
    var list = rows();
    if (!list.length) return;
    var i = currentIndex(list);
    if (i >= 0) list[i].classList.remove("is-current");
    var next = Math.max(0, Math.min(list.length - 1, i + delta));
    if (i < 0) next = delta > 0 ? 0 : list.length - 1;
    var row = list[next];
    row.classList.add("is-current");
    var link = row.querySelector("a.ticket-link");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }
  function openCurrent() {
    var list = rows();
    var i = currentIndex(list);
    if (i < 0) return false;
    var link = list[i].querySelector("a.ticket-link");
    if (link) { link.click(); return true; }
    return false;
  }
  function toggleCurrent() {
    var list = rows();
    var i = currentIndex(list);
    if (i < 0) return;
    var box = list[i].querySelector("input[type=checkbox]");
    if (box) box.checked = !box.checked;
  }

  /* --- the ? overlay --------------------------------------------------------------------- */
  function toggleHelp() {
    var dialog = document.getElementById("shortcuts");
    if (!dialog || typeof dialog.showModal !== "function") return;
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target)) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "h") { window.location.href = "/"; return; }
      if (key === "q") { window.location.href = "/queues/"; return; }
    }
    switch (key) {
      case "/": {
        var search = document.querySelector("[data-shortcut=search]");
        if (search) { event.preventDefault(); search.focus(); search.select(); }
        break;
      }
      case "j": event.preventDefault(); move(1); break;
      case "k": event.preventDefault(); move(-1); break;
      case "o": openCurrent(); break;
      case "x": toggleCurrent(); break;
      case "e": {
        var edit = document.querySelector("[data-shortcut=edit]");
        if (edit) { event.preventDefault(); edit.click(); }
        break;
      }
      case "r": {
        var reply = document.querySelector("[data-shortcut=reply]");
        if (reply) { event.preventDefault(); reply.focus(); reply.scrollIntoView({ block: "center" }); }
        break;
      }
      case "?": event.preventDefault(); toggleHelp(); break;
      case "g": pendingG = true; window.setTimeout(function () { pendingG = false; }, 1200); break;
      default: break;
    }
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-shortcuts-open]");
    if (opener) toggleHelp();
    var all = event.target.closest && event.target.closest("[data-select-all]");
    if (all) {
      var table = all.closest("table");
      table.querySelectorAll("tbody input[type=checkbox]").forEach(function (box) { box.checked = all.checked; });
    }
  });

  /* --- priority preview: impact x urgency from the matrix the server rendered ------------ */
  function updatePriority(form) {
    var out = document.getElementById("priority-preview");
    if (!out) return;
    var matrix = JSON.parse(form.getAttribute("data-matrix") || "{}");
    var labels = JSON.parse(form.getAttribute("data-priority-labels") || "{}");
    var impact = form.querySelector("[name=impact]");
    var urgency = form.querySelector("[name=urgency]");
    if (!impact || !urgency) return;
    var priority = matrix[impact.value + ":" + urgency.value] || "";
    out.textContent = labels[priority] ? priority + " · " + labels[priority] : priority;
    out.className = "badge prio prio-" + priority;
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("[data-priority-form]");
    if (form && (event.target.name === "impact" || event.target.name === "urgency")) updatePriority(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-priority-form]").forEach(updatePriority);
  });

  /* --- after an htmx update of the ticket page, every form carries the new version -------
     Only the agent's own successful writes bump it here, so another agent's change still
     answers 409 with who changed what. */
  document.addEventListener("htmx:afterSettle", function () {
    var marker = document.getElementById("ticket-version");
    var page = document.getElementById("ticket");
    if (!marker || !page) return;
    var version = marker.getAttribute("data-version");
    var seen = marker.getAttribute("data-seen");
    page.querySelectorAll("input[name=version]").forEach(function (input) { input.value = version; });
    page.querySelectorAll("input[name=seen]").forEach(function (input) { input.value = seen; });
  });
})();
