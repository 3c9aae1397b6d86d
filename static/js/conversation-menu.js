/*
 * The conversation's ⋯ menu: Mute/Unmute and Pin/Unpin (PATCH /api/v1/conversations/{id},
 * the labels and the header's muted icon follow the answer) and Delete chat, which asks
 * first in a dialog (menus.js opens it; its form posts as without JavaScript).
 */
(function () {
  "use strict";

  var dm = window.dmsite;
  if (!dm) {
    return;
  }

  var LABELS = {
    muted: ["Mute", "Unmute"],
    pinned: ["Pin", "Unpin"],
  };

  function apply(conversation) {
    Object.keys(LABELS).forEach(function (field) {
      document
        .querySelectorAll('[data-conversation-toggle="' + field + '"]')
        .forEach(function (button) {
          button.dataset.value = conversation[field] ? "1" : "0";
          button.textContent = LABELS[field][conversation[field] ? 1 : 0];
        });
    });
    document.querySelectorAll("[data-muted-icon]").forEach(function (icon) {
      icon.toggleAttribute("hidden", !conversation.muted); // an <svg>: no `hidden` property
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-conversation-toggle]");
    if (!button) {
      return;
    }
    var field = button.dataset.conversationToggle;
    var menuButton = button.closest("[data-menu]");
    menuButton = menuButton && menuButton.querySelector('[data-menu-button][aria-expanded="true"]');
    if (menuButton) {
      menuButton.click(); // the menu closes, as after any choice
    }
    var change = {};
    change[field] = button.dataset.value !== "1";
    window
      .fetch("/api/v1/conversations/" + button.dataset.conversationId, {
        method: "PATCH",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": dm.csrfToken(),
        },
        body: JSON.stringify(change),
      })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) {
            dm.toast((data && data.detail) || "That didn't work. Try again.");
            return;
          }
          apply(data);
          dm.toast(
            field === "muted"
              ? data.muted
                ? "Muted: no notifications from this chat."
                : "Unmuted."
              : data.pinned
                ? "Pinned to the top of your inbox."
                : "Unpinned."
          );
        });
      })
      .catch(function () {
        dm.toast("You're offline. Try again when you're back online.");
      });
  });
})();
