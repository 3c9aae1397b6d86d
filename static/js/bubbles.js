/*
 * Message bubbles from the one message shape (SPEC section 5): text with clickable
 * http(s) links, the quoted message of a reply, reaction chips with counts, a time on
 * each group of consecutive bubbles from one sender and the exact time on hover, in the
 * browser's locale (Intl). Emoji-only messages are drawn larger.
 *
 * `dmsite.bubbles.render(message, context)` builds one <li>; `regroup(list)` marks
 * groups after any insertion. User text only ever goes in with textContent.
 */
(function () {
  "use strict";

  var dm = window.dmsite;
  if (!dm) {
    return;
  }

  var GROUP_GAP_MS = 5 * 60 * 1000; // one sender's bubbles closer than this form a group
  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
  var TRAILING = /[.,;:!?'")\]}]+$/;

  var element = dm.element;

  /* The text as nodes: plain text, and <a> for each http(s) URL (no other scheme). */
  function linkify(text) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    text.replace(URL_PATTERN, function (match, offset) {
      var url = match.replace(TRAILING, "");
      var parsed = null;
      try {
        parsed = new URL(url);
      } catch (error) {
        parsed = null;
      }
      if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
        return match;
      }
      fragment.append(document.createTextNode(text.slice(last, offset)));
      var link = element("a", "msg__link", url);
      link.href = parsed.href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      fragment.append(link);
      last = offset + url.length;
      return match;
    });
    fragment.append(document.createTextNode(text.slice(last)));
    return fragment;
  }

  var segmenter =
    window.Intl && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  var PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;
  var EMOJI_PART = /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\p{Emoji_Modifier}|\u200d|\ufe0f|\u20e3)+$/u;

  /* One to three emoji and nothing else: drawn large, as chat apps do. */
  function isEmojiOnly(text) {
    var trimmed = (text || "").trim();
    if (!trimmed || !PICTOGRAPHIC.test(trimmed)) {
      return false;
    }
    var graphemes = segmenter
      ? Array.from(segmenter.segment(trimmed.replace(/\s+/g, "")), function (part) {
          return part.segment;
        })
      : Array.from(trimmed.replace(/\s+/g, ""));
    return (
      graphemes.length <= 3 &&
      graphemes.every(function (part) {
        return EMOJI_PART.test(part) && PICTOGRAPHIC.test(part);
      })
    );
  }

  function exactTime(date) {
    return date.toLocaleString(undefined, {
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "numeric",
      minute: "2-digit",
      second: "2-digit",
    });
  }

  /* The time of a group: the time of day today, with the date on other days. */
  function groupTime(date) {
    var now = new Date();
    var options = { hour: "numeric", minute: "2-digit" };
    if (date.toDateString() !== now.toDateString()) {
      options.month = "short";
      options.day = "numeric";
      if (date.getFullYear() !== now.getFullYear()) {
        options.year = "numeric";
      }
    }
    return date.toLocaleString(undefined, options);
  }

  /* Reactions as chips: one per emoji, in order of first use, with a count. */
  function chips(message, me) {
    var box = element("div", "msg__reactions");
    box.dataset.reactions = "";
    var order = [];
    var byEmoji = {};
    (message.reactions || []).forEach(function (reaction) {
      if (!byEmoji[reaction.emoji]) {
        byEmoji[reaction.emoji] = [];
        order.push(reaction.emoji);
      }
      byEmoji[reaction.emoji].push(reaction.user);
    });
    order.forEach(function (emoji) {
      var users = byEmoji[emoji];
      var mine = users.indexOf(me) !== -1;
      var chip = element("button", "chip" + (mine ? " chip--mine" : ""));
      chip.type = "button";
      chip.dataset.reactionChip = emoji;
      chip.setAttribute("aria-pressed", mine ? "true" : "false");
      chip.title = users.join(", ");
      chip.setAttribute(
        "aria-label",
        emoji + " " + users.length + (mine ? ", including you. Tap to remove yours" : "")
      );
      chip.append(element("span", "chip__emoji", emoji), element("span", "chip__count", String(users.length)));
      box.append(chip);
    });
    box.hidden = order.length === 0;
    return box;
  }

  function quote(reply, context) {
    var button = element("button", "msg__quote");
    button.type = "button";
    button.dataset.quoteId = String(reply.id);
    var who = reply.sender === context.me ? "You" : context.nameOf(reply.sender);
    button.append(
      element("span", "msg__quote-name", who),
      element("span", "msg__quote-body", reply.unsent ? "Message unsent" : reply.body)
    );
    button.setAttribute("aria-label", "Reply to " + who + ". Show the original message");
    return button;
  }

  /*
   * One bubble. `context`: {me, nameOf(username), avatarOf(username)}.
   * A message being sent has no id yet: it is drawn with `pending`.
   */
  function render(message, context) {
    if (message.kind === "system") {
      // A group's event ("ann added bob"): a centred line, not a bubble.
      var line = element("li", "msg-system", message.body);
      line.dataset.id = String(message.id);
      line.dataset.seq = String(message.seq);
      return line;
    }
    var mine = message.sender === context.me;
    var item = element("li", "msg " + (mine ? "msg--mine" : "msg--theirs"));
    item.dataset.sender = message.sender;
    if (typeof message.id === "number") {
      item.dataset.id = String(message.id);
      item.dataset.seq = String(message.seq);
    }
    var created = message.created_at ? new Date(message.created_at) : new Date();
    item.dataset.createdAt = created.toISOString();
    if (!mine) {
      item.append(context.avatarOf(message.sender));
    }
    var stack = element("div", "msg__stack");
    if (context.isGroup && !mine) {
      stack.append(element("span", "msg__sender", context.nameOf(message.sender)));
    }
    if (message.reply_to) {
      stack.append(quote(message.reply_to, context));
    }
    stack.append(element("span", "sr-only", (mine ? "You" : context.nameOf(message.sender)) + ":"));
    var media = dm.media && dm.media.render(message); // photos, videos, a voice note
    if (media) {
      stack.append(media);
    }
    var row = element("div", "msg__row");
    var body = element("p", "msg__body");
    body.hidden = Boolean(media) && !message.body && !message.unsent;
    if (message.blocked) {
      // A group message from someone I blocked: its place in the timeline, nothing of it.
      item.classList.add("msg--unsent");
      body.append(document.createTextNode("Message from someone you blocked"));
    } else if (message.unsent) {
      item.classList.add("msg--unsent");
      body.append(document.createTextNode("Message unsent"));
    } else {
      body.append(linkify(message.body || ""));
      if (isEmojiOnly(message.body)) {
        item.classList.add("msg--emoji");
      }
    }
    body.title = exactTime(created);
    row.append(body);
    var more = element("button", "msg__more");
    more.type = "button";
    more.dataset.messageMenu = "";
    more.setAttribute("aria-haspopup", "menu");
    more.append(element("span", "msg__more-dots", "⋯"), element("span", "sr-only", "Message options"));
    row.append(more);
    stack.append(row, chips(message, context.me));
    var meta = element("p", "msg__meta");
    var time = element("time", "msg__time", groupTime(created));
    time.setAttribute("datetime", created.toISOString());
    time.title = exactTime(created);
    var status = element("span", "msg__status");
    status.dataset.status = "";
    meta.append(time, status);
    stack.append(meta);
    item.append(stack);
    return item;
  }

  function updateReactions(item, message, me) {
    var old = item.querySelector("[data-reactions]");
    if (old) {
      old.replaceWith(chips(message, me));
    }
  }

  /* Mark the first and last bubble of each group; only the last shows the time and avatar. */
  function regroup(list) {
    var items = Array.prototype.filter.call(list.children, function (node) {
      return node.classList.contains("msg");
    });
    items.forEach(function (item, index) {
      var previous = items[index - 1];
      var next = items[index + 1];
      var joinsPrevious = previous && sameGroup(previous, item);
      var joinsNext = next && sameGroup(item, next);
      item.classList.toggle("msg--group-start", !joinsPrevious);
      item.classList.toggle("msg--group-end", !joinsNext);
    });
  }

  function sameGroup(a, b) {
    if (a.dataset.sender !== b.dataset.sender) {
      return false;
    }
    var gap = new Date(b.dataset.createdAt) - new Date(a.dataset.createdAt);
    return gap >= 0 && gap < GROUP_GAP_MS;
  }

  dm.bubbles = {
    render: render,
    regroup: regroup,
    updateReactions: updateReactions,
    linkify: linkify,
    isEmojiOnly: isEmojiOnly,
    exactTime: exactTime,
  };
})();
