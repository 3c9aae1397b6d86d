/*
 * Group pages: the friends picker's search box filters its list; a group's page follows
 * `conversation.updated` (its name and member count; leaving or being removed reloads
 * the page, which then shows the history up to then and no composer).
 */
(function () {
  "use strict";

  document.querySelectorAll("[data-pick-search]").forEach(function (search) {
    var list = search.parentElement.querySelector("[data-pick-list]");
    search.addEventListener("input", function () {
      var query = search.value.trim().toLowerCase();
      list.querySelectorAll("[data-pick-name]").forEach(function (row) {
        row.hidden = query !== "" && row.dataset.pickName.indexOf(query) === -1;
      });
    });
  });

  var dm = window.dmsite;
  var root = document.querySelector("[data-chat][data-group]");
  if (!dm || !root) {
    return;
  }
  var conversationId = Number(root.dataset.conversation);
  // A form of this page is on its way (Leave, Remove): its answer decides where we go, and a
  // reload for the frame that the same action sends would race with it.
  var submitting = false;
  document.addEventListener("submit", function (event) {
    submitting = submitting || !event.defaultPrevented; // the composer and Report stay here
  });
  dm.socket.on("conversation.updated", function (frame) {
    var group = frame.conversation;
    if (!group || group.id !== conversationId || submitting) {
      return;
    }
    if (group.state !== "member" || root.dataset.live !== "1") {
      window.location.reload();
      return;
    }
    var count = document.querySelector("[data-member-count]");
    if (count) {
      count.textContent = group.member_count + (group.member_count === 1 ? " member" : " members");
    }
    var name = document.querySelector("[data-group-name]");
    if (name && group.title) {
      name.textContent = group.title;
    }
  });
})();
