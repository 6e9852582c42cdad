/* The portal's script: the Options menu, dialogs, multi-step sections, the shared user windows and the
   fr-ca payment frame (webforms.js adds the WebForms postback in fr-ca). Click handling is delegated
   from document, so it works before the body has loaded. */
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function fillTemplate(text, fields) {
    // A replacer function, so "$&" and friends in an e-mail address stay literal.
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : whole;
    });
  }

  function openDialog(id) {
    var dialog = byId(id);
    if (dialog && !dialog.open) { dialog.showModal(); }
  }

  function hideSteps(container) {
    container.querySelectorAll("[data-step]").forEach(function (step) { step.hidden = true; });
    container.querySelectorAll("[data-reveal]").forEach(function (b) { b.setAttribute("aria-expanded", "false"); });
  }

  function reveal(button) {
    var target = byId(button.dataset.reveal);
    if (!target) { return; }
    var scope = button.closest("dialog") || document;
    hideSteps(scope);
    target.hidden = false;
    button.setAttribute("aria-expanded", "true");
    var first = target.querySelector("input:not([type=hidden]), select, button");
    if (first) { first.focus(); }
  }

  /* ---- Options menu ---- */
  function menuParts() {
    var button = byId("options-button");
    return button ? { button: button, menu: byId(button.getAttribute("aria-controls")) } : null;
  }

  function setMenu(open, focusFirst) {
    var parts = menuParts();
    if (!parts) { return; }
    parts.menu.hidden = !open;
    parts.button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open && focusFirst) {
      var first = parts.menu.querySelector("[role=menuitem]");
      if (first) { first.focus(); }
    }
  }

  function menuOpen() {
    var parts = menuParts();
    return !!parts && !parts.menu.hidden;
  }

  function moveInMenu(step) {
    var parts = menuParts();
    var items = Array.prototype.slice.call(parts.menu.querySelectorAll("[role=menuitem]"));
    var index = items.indexOf(document.activeElement);
    var next = items[(index + step + items.length) % items.length];
    if (next) { next.focus(); }
  }

  /* ---- shared user windows ---- */
  function setFields(dialog, name, value) {
    dialog.querySelectorAll("[data-fill='" + name + "']").forEach(function (el) { el.value = value; });
  }

  // Options keep the canonical tier as value; the text is the dialect's name for it (Éco in fr-ca).
  function fillTierSelect(select, tiers, placeholder, names) {
    select.textContent = "";
    var form = select.closest("form");
    var note = form.querySelector("[data-empty-note]");
    var save = form.querySelector("button[type=submit]");
    if (tiers.length) {
      var first = document.createElement("option");
      first.value = "";
      first.textContent = placeholder;
      select.appendChild(first);
    }
    tiers.forEach(function (tier) {
      var option = document.createElement("option");
      option.value = tier;
      option.textContent = names[tier] || tier;
      select.appendChild(option);
    });
    select.disabled = !tiers.length;
    // An AutoPostBack select (fr-ca): the server enables Save once the choice has been posted back.
    save.disabled = !tiers.length || select.hasAttribute("data-autopostback");
    note.hidden = tiers.length > 0;
  }

  function openManageLicense(button) {
    var dialog = byId("manage-license-dialog");
    var tier = button.dataset.tier;
    var available = JSON.parse(dialog.dataset.available);
    var names = dialog.dataset.tierNames ? JSON.parse(dialog.dataset.tierNames) : {};
    byId("ml-h").textContent = fillTemplate(dialog.dataset.title, { email: button.dataset.email });
    dialog.querySelector("[data-current-text]").textContent =
      fillTemplate(dialog.dataset.current, { tier: names[tier] || tier });
    dialog.querySelector("[data-holder-only]").hidden = !tier;
    dialog.querySelector("[data-nonholder-only]").hidden = !!tier;
    hideSteps(dialog);
    fillTierSelect(byId("ml-new"), available.filter(function (t) { return t !== tier; }), dialog.dataset.choose, names);
    fillTierSelect(byId("ml-assign"), available, dialog.dataset.choose, names);
    [dialog, byId("remove-license-dialog")].forEach(function (d) { setFields(d, "user-id", button.dataset.userId); });
    dialog.showModal();
  }

  function openEditUser(button) {
    var dialog = byId("edit-user-dialog");
    byId("eu-h").textContent = fillTemplate(dialog.dataset.title, { email: button.dataset.email });
    [dialog, byId("delete-user-dialog")].forEach(function (d) { setFields(d, "user-id", button.dataset.userId); });
    setFields(dialog, "first", button.dataset.first);
    setFields(dialog, "last", button.dataset.last);
    setFields(dialog, "role", button.dataset.role);
    dialog.showModal();
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    var menuButton = target.closest("#options-button");
    if (menuButton) { setMenu(!menuOpen(), false); return; }
    if (menuOpen() && !target.closest("[role=menu]")) { setMenu(false); }

    var opener = target.closest("[data-open-dialog]");
    if (opener && !opener.disabled) { openDialog(opener.dataset.openDialog); return; }
    var closer = target.closest("[data-close-dialog]");
    if (closer) { closer.closest("dialog").close(); return; }
    var revealer = target.closest("[data-reveal]");
    if (revealer) { reveal(revealer); return; }
    var userAction = target.closest("[data-user-action]");
    if (userAction) {
      if (userAction.dataset.userAction === "manage") { openManageLicense(userAction); }
      else { openEditUser(userAction); }
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (menuOpen()) {
      if (event.key === "Escape") { setMenu(false); byId("options-button").focus(); event.preventDefault(); return; }
      if (event.key === "ArrowDown") { moveInMenu(1); event.preventDefault(); return; }
      if (event.key === "ArrowUp") { moveInMenu(-1); event.preventDefault(); return; }
      if (event.key === "Tab") { setMenu(false); }
    } else if (target && target.id === "options-button" && event.key === "ArrowDown") {
      setMenu(true, true);
      event.preventDefault();
      return;
    }
    // Enter in a removal quantity asks for confirmation instead of submitting straight away.
    if (target && event.key === "Enter" && target.dataset && target.dataset.enterOpens) {
      event.preventDefault();
      openDialog(target.dataset.enterOpens);
    }
  });

  /* ---- fr-ca checkout: the provider's card form appears once the purchase is accepted ---- */
  document.addEventListener("change", function (event) {
    var box = event.target instanceof Element ? event.target.closest("[data-shows]") : null;
    if (!box) { return; }
    var frame = byId(box.dataset.shows);
    if (!frame) { return; }
    if (box.checked && !frame.getAttribute("src")) { frame.setAttribute("src", frame.dataset.src); }
    frame.hidden = !box.checked;
    document.querySelectorAll("[data-hint-for='" + frame.id + "']").forEach(function (hint) { hint.hidden = box.checked; });
  });

  document.addEventListener("submit", function (event) {
    event.target.querySelectorAll("[data-mirror]").forEach(function (input) {
      var source = byId(input.dataset.mirror);
      if (source) { input.value = source.value; }
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("dialog[data-open-on-load]").forEach(function (d) { d.showModal(); });
  });
})();
