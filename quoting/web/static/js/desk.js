/* The sales desk's keyboard, focus and live-price behaviour (issue 13). Small, no
   framework; htmx (vendored) does the requests. Every page works without it: this
   only puts focus where the next action is, announces totals and says when the live
   price could not be fetched. */
(function () {
  "use strict";

  var lastGoodTotal = "";   // the last total the server priced, shown out of date while a number is retyped
  var focusAfterSwap = null; // a function that finds where focus goes once the form's fields are back
  var focusRequest = null;   // the request whose answer brings them back (not a live price meanwhile)

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  /* aria-invalid follows the error text each control is described by: the live price
     swaps the error paragraphs in (hx-swap-oob) and the controls must say so too. */
  function syncInvalid(root) {
    $all("[aria-describedby]", root || document).forEach(function (control) {
      var ids = control.getAttribute("aria-describedby").split(/\s+/);
      var invalid = ids.some(function (id) {
        var error = document.getElementById(id);
        return error && error.classList.contains("field-error") && error.textContent.trim() !== "";
      });
      if (invalid) { control.setAttribute("aria-invalid", "true"); }
      else if (ids.some(function (id) { return id.indexOf("err-") === 0; })) { control.removeAttribute("aria-invalid"); }
    });
  }

  /* The price panel was replaced: announce only its new total (politely), or keep the
     last good total beside the problems, marked out of date. */
  function priceUpdated() {
    var panel = document.getElementById("breakdown");
    var problem = document.getElementById("price-problem");
    if (!panel) { return; }
    var total = panel.getAttribute("data-total");
    if (total) {
      if (total !== lastGoodTotal) {
        var announcer = document.getElementById("price-announcer");
        if (announcer) { announcer.textContent = total; }
      }
      lastGoodTotal = total;
      if (problem) { problem.textContent = ""; }
    } else if (lastGoodTotal) {
      $all("[data-last-total]").forEach(function (slot) {
        var text = $("[data-last-total-text]", slot);
        if (text) { text.textContent = lastGoodTotal; }
        slot.hidden = false;
      });
    }
  }

  /* A live price or partial update that failed: said on the page, never only in the console. */
  function requestFailed(event) {
    var form = document.getElementById("quote-form");
    var problem = document.getElementById("price-problem");
    if (!form || !problem || !form.contains(event.target)) { return; }
    var xhr = event.detail && event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    var key = "failed";
    if (event.type === "htmx:sendError" || event.type === "htmx:timeout" || status === 0) { key = "offline"; }
    else if (status === 401) { key = "signed-out"; }
    else if (status === 400) { key = "expired"; }
    problem.textContent = form.getAttribute("data-msg-" + key) || form.getAttribute("data-msg-failed") || "";
    var panel = document.getElementById("breakdown");
    if (panel) { panel.classList.add("stale"); }
  }

  /* ------------------------------------------------------------ focus after a partial update */

  function rememberFocus(event) {
    var elt = event.detail && event.detail.elt;
    var target = event.detail && event.detail.target;
    if (!elt || !target || target.id !== "quote-fields") { return; }
    var value = elt.value || "";
    focusRequest = event.detail.xhr || null;
    if (elt.name === "market") {
      focusAfterSwap = function () { return $("[name=market]"); };
    } else if (value === "add_license") {
      focusAfterSwap = function () {
        var rows = $all(".license-row");
        return rows.length ? $("select, input", rows[rows.length - 1]) : $("button[value=add_license]");
      };
    } else if (value.indexOf("remove_license:") === 0) {
      var index = parseInt(value.split(":")[1], 10);
      focusAfterSwap = function () {
        var rows = $all(".license-row");
        var row = rows[Math.min(index, rows.length - 1)];
        return row ? $("select, input", row) : $("button[value=add_license]");
      };
    } else if (value.indexOf("pick_client:") === 0) {
      // The client's fields are filled in: the next thing to type is the scope.
      focusAfterSwap = function () {
        var empty = $all("[name=client_contact], [name=client_email]").filter(function (field) { return !field.value; });
        return empty.length ? empty[0] : $("[name=participants_technical]");
      };
    }
  }

  function restoreFocus(event) {
    if (!focusAfterSwap || (event.detail && event.detail.xhr !== focusRequest)) { return; }
    var next = focusAfterSwap();
    focusAfterSwap = null;
    if (next) { next.focus(); }
  }

  /* ------------------------------------------------------------ client matches: a listbox */

  function options() { return $all("#client-matches [role=option]"); }

  function setActive(box, index) {
    var all = options();
    all.forEach(function (option, i) {
      var on = i === index;
      option.setAttribute("aria-selected", on ? "true" : "false");
      option.classList.toggle("is-active", on);
      if (on) {
        box.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    });
    if (index < 0) { box.removeAttribute("aria-activedescendant"); }
  }

  function activeIndex() {
    return options().findIndex(function (option) { return option.getAttribute("aria-selected") === "true"; });
  }

  function matchesShown() {
    var box = document.getElementById("client-search");
    if (!box) { return; }
    var open = options().length > 0;
    box.setAttribute("aria-expanded", open ? "true" : "false");
    box.removeAttribute("aria-activedescendant");
  }

  function searchKeys(event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement)) { return; }
    if (box.id === "client-search") {
      var all = options();
      var index = activeIndex();
      if (event.key === "ArrowDown" && all.length) {
        event.preventDefault();
        setActive(box, (index + 1) % all.length);
      } else if (event.key === "ArrowUp" && all.length) {
        event.preventDefault();
        setActive(box, index <= 0 ? all.length - 1 : index - 1);
      } else if (event.key === "Home" && all.length && index >= 0) {
        event.preventDefault();
        setActive(box, 0);
      } else if (event.key === "End" && all.length && index >= 0) {
        event.preventDefault();
        setActive(box, all.length - 1);
      } else if (event.key === "Escape" && all.length) {
        event.preventDefault();
        document.getElementById("client-matches").innerHTML = "";
        matchesShown();
      } else if (event.key === "Enter") {
        event.preventDefault(); // never submits the quote
        if (index >= 0) { all[index].click(); }
      }
      return;
    }
    // Enter in any other search box inside a form with more to it never submits it.
    if (event.key === "Enter" && box.type === "search" && box.form && box.form.id === "quote-form") {
      event.preventDefault();
    }
  }

  /* ------------------------------------------------------------ wiring */

  document.addEventListener("keydown", searchKeys);
  document.addEventListener("htmx:beforeRequest", rememberFocus);
  document.addEventListener("htmx:afterSettle", function (event) {
    syncInvalid();
    var target = event.detail && event.detail.target;
    if (target && target.id === "client-matches") { matchesShown(); }
    priceUpdated();
    restoreFocus(event);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var panel = document.getElementById("breakdown");
    if (panel && event.detail && event.detail.successful) { panel.classList.remove("stale"); }
  });
  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, requestFailed);
  });
  document.addEventListener("DOMContentLoaded", function () {
    syncInvalid();
    var panel = document.getElementById("breakdown");
    if (panel && panel.getAttribute("data-total")) { lastGoodTotal = panel.getAttribute("data-total"); }
  });
})();
