/*
 * What can be done to one message: a row of emoji to react with, then Reply, Copy,
 * Unsend (my own, within DM_UNSEND_SECONDS) and Report (theirs, through the report
 * dialog of menus.js). Opened by the ⋯ button that shows on hover or focus, by a long
 * press on touch screens, or by a right click; the menu shows the exact time too.
 * Reaction chips toggle my reaction. Reactions go over the socket (`reaction` frame),
 * unsend over REST (DELETE /api/v1/messages/{id}); the `reaction` and
 * `message.deleted` events redraw the bubbles (chat.js).
 */
(function () {
  "use strict";

  var dm = window.dmsite;
  var chat = dm && dm.chat;
  var list = document.querySelector("[data-messages]");
  if (!chat || !list) {
    return;
  }

  var QUICK_EMOJI = ["👍", "❤️", "😂", "😮", "😢", "🙏"];
  var LONG_PRESS_MS = 450;
  var root = document.querySelector("[data-chat]");
  var unsendSeconds = Number(root.dataset.unsendSeconds) || 180;
  var reportOpener = document.querySelector("[data-message-report]");
  var menu = null;
  var menuFor = null; // the message id the menu is open for
  var opener = null;

  var element = dm.element;

  function myReaction(message) {
    var mine = (message.reactions || []).filter(function (reaction) {
      return reaction.user === chat.me;
    });
    return mine.length ? mine[0].emoji : null;
  }

  function react(message, emoji) {
    // Choosing my current emoji again takes it back.
    var next = myReaction(message) === emoji ? null : emoji;
    if (!dm.socket.send({ type: "reaction", message: message.id, emoji: next })) {
      dm.toast("You're offline. Try again when you're back online.");
    }
  }

  function canUnsend(message) {
    var age = (Date.now() - new Date(message.created_at).getTime()) / 1000;
    return message.sender === chat.me && !message.unsent && age < unsendSeconds;
  }

  function unsend(message) {
    window
      .fetch("/api/v1/messages/" + message.id, {
        method: "DELETE",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": dm.csrfToken() },
      })
      .then(function (response) {
        if (response.ok) {
          return null;
        }
        return response.json().then(function (data) {
          dm.toast((data && data.detail) || "The message could not be unsent.");
        });
      })
      .catch(function () {
        dm.toast("You're offline. Try again when you're back online.");
      });
  }

  function copy(message) {
    var done = function () {
      dm.toast("Copied");
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(message.body).then(done, function () {
        dm.toast("Copying isn't allowed here.");
      });
    }
  }

  function report(message) {
    if (!reportOpener) {
      return;
    }
    reportOpener.dataset.targetId = String(message.id);
    reportOpener.click();
  }

  function closeMenu(returnFocus) {
    if (!menu) {
      return;
    }
    menu.remove();
    menu = null;
    menuFor = null;
    if (opener) {
      opener.setAttribute("aria-expanded", "false");
      if (returnFocus) {
        opener.focus();
      }
    }
    opener = null;
  }

  function menuItem(label, action, className) {
    var item = element("button", "msg-menu__item" + (className ? " " + className : ""), label);
    item.type = "button";
    item.setAttribute("role", "menuitem");
    item.addEventListener("click", function () {
      closeMenu(true);
      action();
    });
    return item;
  }

  function openMenu(item, button) {
    var message = chat.message(Number(item.dataset.id));
    if (!message) {
      return; // still being sent
    }
    closeMenu(false);
    menuFor = message.id;
    opener = button || item.querySelector("[data-message-menu]");
    menu = element("div", "msg-menu");
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", "Message options");
    menu.dataset.messageMenuOpen = String(message.id);
    menu.append(element("p", "msg-menu__time", dm.bubbles.exactTime(new Date(message.created_at))));
    if (!message.unsent && message.kind !== "system") {
      var row = element("div", "msg-menu__emoji");
      row.setAttribute("role", "group");
      row.setAttribute("aria-label", "React");
      var mine = myReaction(message);
      QUICK_EMOJI.forEach(function (emoji) {
        var choice = element("button", "msg-menu__emoji-choice" + (emoji === mine ? " is-mine" : ""), emoji);
        choice.type = "button";
        choice.setAttribute("role", "menuitem");
        choice.dataset.react = emoji;
        choice.setAttribute("aria-label", (emoji === mine ? "Remove " : "React with ") + emoji);
        choice.addEventListener("click", function () {
          closeMenu(true);
          react(message, emoji);
        });
        row.append(choice);
      });
      menu.append(row);
      menu.append(
        menuItem("Reply", function () {
          chat.reply(message);
        })
      );
      menu.append(
        menuItem("Copy", function () {
          copy(message);
        })
      );
    }
    if (canUnsend(message)) {
      menu.append(
        menuItem(
          "Unsend",
          function () {
            unsend(message);
          },
          "msg-menu__item--danger"
        )
      );
    }
    if (message.sender !== chat.me && !message.unsent) {
      menu.append(
        menuItem(
          "Report",
          function () {
            report(message);
          },
          "msg-menu__item--danger"
        )
      );
    }
    item.querySelector(".msg__stack").append(menu);
    if (opener) {
      opener.setAttribute("aria-expanded", "true");
    }
    var first = menu.querySelector('[role="menuitem"]');
    if (first) {
      first.focus();
    }
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("[data-message-menu]");
    if (button) {
      var item = button.closest(".msg");
      if (menuFor === Number(item.dataset.id)) {
        closeMenu(true);
      } else {
        openMenu(item, button);
      }
      return;
    }
    var chip = event.target.closest("[data-reaction-chip]");
    if (chip) {
      var message = chat.message(Number(chip.closest(".msg").dataset.id));
      if (message) {
        react(message, chip.dataset.reactionChip);
      }
    }
  });

  list.addEventListener("contextmenu", function (event) {
    var item = event.target.closest(".msg[data-id]");
    if (item && !event.target.closest("a")) {
      event.preventDefault();
      openMenu(item);
    }
  });

  /* Long press: a touch held still on a bubble. */
  var pressTimer = null;
  var pressStart = null;
  list.addEventListener("pointerdown", function (event) {
    if (event.pointerType !== "touch") {
      return;
    }
    var item = event.target.closest(".msg[data-id]");
    if (!item || event.target.closest("button, a")) {
      return;
    }
    pressStart = { x: event.clientX, y: event.clientY };
    pressTimer = window.setTimeout(function () {
      pressTimer = null;
      openMenu(item);
    }, LONG_PRESS_MS);
  });
  function cancelPress(event) {
    if (!pressTimer) {
      return;
    }
    if (event.type === "pointermove" && pressStart) {
      var moved = Math.abs(event.clientX - pressStart.x) + Math.abs(event.clientY - pressStart.y);
      if (moved < 10) {
        return;
      }
    }
    window.clearTimeout(pressTimer);
    pressTimer = null;
  }
  ["pointerup", "pointercancel", "pointermove"].forEach(function (type) {
    list.addEventListener(type, cancelPress);
  });

  document.addEventListener("click", function (event) {
    if (menu && !event.target.closest(".msg-menu") && !event.target.closest("[data-message-menu]")) {
      closeMenu(false);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (!menu) {
      return;
    }
    var items = Array.prototype.slice.call(menu.querySelectorAll('[role="menuitem"]'));
    var index = items.indexOf(document.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      closeMenu(true);
    } else if (event.key === "ArrowDown" || event.key === "ArrowRight") {
      event.preventDefault();
      items[(index + 1) % items.length].focus();
    } else if (event.key === "ArrowUp" || event.key === "ArrowLeft") {
      event.preventDefault();
      items[(index - 1 + items.length) % items.length].focus();
    }
  });
})();
