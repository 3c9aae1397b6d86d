/*
 * The ⋯ menus (buttons with aria-expanded; arrow keys move, Escape closes and returns
 * focus), the Block confirmation dialog and the Report dialog, which posts JSON to
 * /api/v1/reports with the session cookie and the CSRF token.
 */
(function () {
  "use strict";

  var dm = window.dmsite;

  function items(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll('[role="menuitem"]'));
  }

  function menuOf(button) {
    return document.getElementById(button.getAttribute("aria-controls"));
  }

  function closeMenu(button, returnFocus) {
    var menu = menuOf(button);
    if (!menu || menu.hidden) {
      return;
    }
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (returnFocus) {
      button.focus();
    }
  }

  function closeAllMenus(except) {
    document.querySelectorAll('[data-menu-button][aria-expanded="true"]').forEach(function (b) {
      if (b !== except) {
        closeMenu(b, false);
      }
    });
  }

  function openMenu(button, focusLast) {
    var menu = menuOf(button);
    if (!menu) {
      return;
    }
    closeAllMenus(button);
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    var all = items(menu);
    if (all.length) {
      all[focusLast ? all.length - 1 : 0].focus();
    }
  }

  document.querySelectorAll("[data-menu-button]").forEach(function (button) {
    var menu = menuOf(button);
    if (!menu) {
      return;
    }
    button.addEventListener("click", function () {
      if (button.getAttribute("aria-expanded") === "true") {
        closeMenu(button, false);
      } else {
        openMenu(button, false);
      }
    });
    button.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        openMenu(button, event.key === "ArrowUp");
      }
    });
    menu.addEventListener("keydown", function (event) {
      var all = items(menu);
      var index = all.indexOf(document.activeElement);
      if (event.key === "Escape") {
        event.preventDefault();
        closeMenu(button, true);
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        all[(index + 1) % all.length].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        all[(index - 1 + all.length) % all.length].focus();
      } else if (event.key === "Home") {
        event.preventDefault();
        all[0].focus();
      } else if (event.key === "End") {
        event.preventDefault();
        all[all.length - 1].focus();
      } else if (event.key === "Tab") {
        closeMenu(button, false);
      }
    });
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-menu]")) {
      closeAllMenus(null);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = document.querySelector('[data-menu-button][aria-expanded="true"]');
      if (open) {
        closeMenu(open, true);
      }
    }
  });

  /* Dialogs: the opener gets focus back when a dialog closes (Escape closes it natively). */
  function openDialog(dialog, opener) {
    closeAllMenus(null);
    var menuButton = opener && opener.closest("[data-menu]");
    var returnTo = menuButton ? menuButton.querySelector("[data-menu-button]") : opener;
    dialog.addEventListener(
      "close",
      function () {
        if (returnTo) {
          returnTo.focus();
        }
      },
      { once: true }
    );
    dialog.showModal();
  }

  document.querySelectorAll("[data-dialog-open]").forEach(function (opener) {
    opener.addEventListener("click", function () {
      var dialog = document.getElementById(opener.dataset.dialogOpen);
      if (dialog) {
        openDialog(dialog, opener);
      }
    });
  });
  document.querySelectorAll("[data-dialog-close]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.closest("dialog").close();
    });
  });

  /* Report ---------------------------------------------------------------------------- */

  var reportDialog = document.querySelector("[data-report-dialog]");
  if (!reportDialog) {
    return;
  }
  var reportForm = reportDialog.querySelector("[data-report-form]");
  var reportAbout = reportDialog.querySelector("[data-report-about]");
  var reportError = reportDialog.querySelector("[data-report-error]");
  var reportDone = reportDialog.querySelector("[data-report-done]");
  var reportSubmit = reportDialog.querySelector("[data-report-submit]");
  var blockOption = reportDialog.querySelector("[data-report-block-option]");
  var target = null;

  document.querySelectorAll("[data-report-open]").forEach(function (opener) {
    opener.addEventListener("click", function () {
      target = {
        type: opener.dataset.targetType,
        id: Number(opener.dataset.targetId),
      };
      reportForm.reset();
      reportError.textContent = "";
      reportDone.textContent = "";
      reportSubmit.disabled = false;
      reportAbout.textContent = "You are reporting " + opener.dataset.targetLabel + ".";
      if (blockOption) {
        blockOption.hidden = opener.hasAttribute("data-already-blocked");
      }
      openDialog(reportDialog, opener);
      var first = reportForm.querySelector('input[name="reason"]');
      if (first) {
        first.focus();
      }
    });
  });

  reportForm.addEventListener("submit", function (event) {
    event.preventDefault();
    reportError.textContent = "";
    var reason = reportForm.querySelector('input[name="reason"]:checked');
    if (!reason) {
      reportError.textContent = "Choose a reason for your report.";
      return;
    }
    var block = reportForm.querySelector('input[name="block"]');
    var alsoBlock = Boolean(block && block.checked && !(blockOption && blockOption.hidden));
    var payload = {
      target_type: target.type,
      target_id: target.id,
      reason: reason.value,
      details: reportForm.querySelector('textarea[name="details"]').value,
      block: alsoBlock,
    };
    reportSubmit.disabled = true;
    window
      .fetch("/api/v1/reports", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": dm ? dm.csrfToken() : "",
        },
        body: JSON.stringify(payload),
      })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            return { ok: response.ok, data: data };
          });
      })
      .then(function (result) {
        if (!result.ok) {
          reportSubmit.disabled = false;
          reportError.textContent =
            (result.data && result.data.detail) || "The report could not be sent. Try again.";
          return;
        }
        reportDone.textContent = alsoBlock
          ? "Thanks for reporting. You blocked them too."
          : "Thanks for reporting. Our team will review it.";
        if (alsoBlock) {
          window.setTimeout(function () {
            window.location.reload();
          }, 1200);
        }
      })
      .catch(function () {
        reportSubmit.disabled = false;
        reportError.textContent = "You seem to be offline. Try again.";
      });
  });
})();
