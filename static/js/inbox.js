/*
 * The unread badge on the Inbox tab, on every page, and the live conversation list of the
 * inbox and requests pages. Counts come from the server (GET /api/v1/me and
 * /api/v1/conversations, the `read` frames' `unread_total`): muted conversations and
 * requests are the server's business, never recomputed here.
 */
(function () {
  "use strict";

  var dm = window.dmsite;
  if (!dm) {
    return;
  }
  var me = dm.me;
  var badge = document.querySelector("[data-unread-badge]");
  var badgeCount = badge && badge.querySelector("[data-unread-count]");
  var list = document.querySelector("[data-inbox-list]");
  var live = list && !list.hasAttribute("data-static");
  var emptyState = document.querySelector("[data-inbox-empty]");
  var requestsHint = document.querySelector("[data-requests-hint]");

  // A `read` frame is newer than any badge request started before it: those answers are dropped.
  var badgeEpoch = 0;
  var badgeTimer = null;
  var listTimer = null;
  var listRequest = 0;

  function setBadge(total) {
    if (!badge) {
      return;
    }
    badgeCount.textContent = total > 99 ? "99+" : String(total);
    badge.hidden = total === 0;
  }

  function getJson(url) {
    return window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .catch(function () {
        return null;
      });
  }

  function refreshBadge() {
    if (!badge) {
      return;
    }
    window.clearTimeout(badgeTimer);
    badgeTimer = window.setTimeout(function () {
      var epoch = badgeEpoch;
      getJson("/api/v1/me").then(function (data) {
        if (data && epoch === badgeEpoch && typeof data.unread_total === "number") {
          setBadge(data.unread_total);
        }
      });
    }, 100);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function avatar(person, size) {
    var name = person.display_name || person.username;
    var node = element(
      "span",
      "avatar avatar--" + size + " " + dm.avatarColor(person.username),
      name.charAt(0).toUpperCase()
    );
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function preview(last) {
    if (!last) {
      return "";
    }
    if (last.unsent) {
      return "Message unsent";
    }
    if (last.blocked) {
      return "Message from someone you blocked";
    }
    if (last.kind === "system") {
      return last.body;
    }
    var text = last.body.length > 100 ? last.body.slice(0, 99) + "…" : last.body;
    return (last.sender === me ? "You: " : "") + text;
  }

  function flag(label, paths) {
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "convo__flag");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    paths.forEach(function (d) {
      var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      path.setAttribute("d", d);
      svg.append(path);
    });
    return svg;
  }

  /* One row, as templates/messaging/_conversation_row.html draws it. */
  function row(conversation) {
    var item = element("li", "convo" + (conversation.unread_count ? " convo--unread" : ""));
    item.classList.toggle("convo--muted", Boolean(conversation.muted));
    item.dataset.conversationId = String(conversation.id);
    var link = element("a", "convo__link");
    link.href = "/c/" + conversation.id;
    if (String(conversation.id) === list.dataset.current) {
      link.setAttribute("aria-current", "page");
    }
    // A group has no other user: its title, or its other members' names.
    var other = conversation.other_user || {
      username: String(conversation.id),
      display_name:
        conversation.title ||
        (conversation.members || [])
          .filter(function (member) {
            return member.username !== me && member.state === "member";
          })
          .map(function (member) {
            return member.display_name || member.username;
          })
          .join(", ") ||
        "Group",
    };
    var main = element("span", "convo__main");
    var name = element("span", "convo__name", other.display_name || other.username);
    if (conversation.pinned) {
      name.append(flag("Pinned", ["M9 4h6l-1 6 3 3H7l3-3zM12 13v7"]));
    }
    if (conversation.muted) {
      name.append(flag("Muted", ["M11 5 6 9H3v6h3l5 4z", "m16 9 5 6M21 9l-5 6"]));
    }
    main.append(name, element("span", "convo__preview", preview(conversation.last_message)));
    var meta = element("span", "convo__meta");
    var time = element("time", "convo__time");
    time.setAttribute("datetime", conversation.updated_at);
    time.dataset.chatTime = "";
    time.textContent = dm.chatTime(new Date(conversation.updated_at));
    meta.append(time);
    if (conversation.unread_count) {
      var unread = element(
        "span",
        "convo__unread",
        conversation.unread_count > 99 ? "99+" : String(conversation.unread_count)
      );
      unread.append(element("span", "sr-only", " unread"));
      meta.append(unread);
    }
    link.append(avatar(other, "lg"), main, meta);
    item.append(link);
    return item;
  }

  function render(conversations) {
    var focused = document.activeElement;
    var focusedId = focused && focused.closest && focused.closest("[data-conversation-id]");
    focusedId = focusedId ? focusedId.dataset.conversationId : null;
    var rows = conversations.map(row);
    list.replaceChildren.apply(list, rows);
    if (emptyState) {
      emptyState.hidden = rows.length > 0;
    }
    // Keep keyboard focus on the same conversation when the list is redrawn.
    if (focusedId) {
      var again = list.querySelector('[data-conversation-id="' + focusedId + '"] a');
      if (again) {
        again.focus();
      }
    }
  }

  function refreshList() {
    if (!live) {
      return;
    }
    window.clearTimeout(listTimer);
    listTimer = window.setTimeout(function () {
      var request = (listRequest += 1);
      var folder = encodeURIComponent(list.dataset.folder);
      getJson("/api/v1/conversations?limit=50&folder=" + folder).then(function (data) {
        if (data && request === listRequest) {
          render(data.results);
        }
      });
      if (requestsHint) {
        getJson("/api/v1/conversations?limit=100&folder=requests").then(function (data) {
          if (data && request === listRequest) {
            var count = data.results.length;
            requestsHint.textContent = count
              ? (data.next ? "100+" : String(count)) + " pending"
              : "No pending requests";
          }
        });
      }
    }, 150);
  }

  dm.socket.on("message", function (event) {
    if (event.message.sender !== me) {
      refreshBadge();
    }
    refreshList();
  });
  dm.socket.on("message.deleted", refreshList);
  dm.socket.on("conversation.updated", refreshList); // a group's invitation, name, members
  dm.socket.on("read", function (frame) {
    if (typeof frame.unread_total === "number") {
      badgeEpoch += 1;
      setBadge(frame.unread_total);
      refreshList();
    }
  });
})();
