/*
 * The conversation page over the socket (socket.js), drawn by bubbles.js from the one
 * message shape: live messages in `seq` order, each message id shown once; send with
 * Enter (Shift+Enter: new line); a typing indicator (`typing` sent at most every 3 s
 * while typing, "… is typing" shown for 4 s); every `error` frame shown as its sentence.
 *
 * - History scrolls back without reloading: older cursor pages of the API are put above,
 *   the position kept. A message counts as read only once it was on screen (an
 *   IntersectionObserver, while the page is visible); scrolled up, new messages show a
 *   "New messages ↓" pill instead of moving the page.
 * - Messages being sent wait in `pending` under their client_id, shown "Sending…"; after a
 *   reconnect they are sent again (the server answers a repeated client_id with the stored
 *   message, so a retry never makes a duplicate). One not acknowledged in time shows
 *   "Not sent" with Retry.
 * - The composer counts characters near DM_MAX_LENGTH and refuses a longer message in
 *   words; nothing typed is ever cut.
 * - Replies and reactions: see message-actions.js, which calls `dmsite.chat`.
 */
(function () {
  "use strict";

  var dm = window.dmsite;
  var root = document.querySelector("[data-chat]");
  if (!dm || !root || !dm.bubbles) {
    return;
  }

  var TYPING_SEND_EVERY = 3000;
  var TYPING_SHOWN_FOR = 4000;
  var ACK_WAIT_MS = 10000; // an open socket that has not acknowledged by then: "Not sent"
  var COUNTER_FROM = 0.9; // show the character counter from 90 % of the limit

  var conversationId = Number(root.dataset.conversation);
  var me = root.dataset.me;
  var otherName = root.dataset.otherName;
  var maxLength = Number(root.dataset.maxLength) || 2000;
  var live = root.dataset.live === "1";
  var list = root.querySelector("[data-messages]");
  var emptyNote = root.querySelector("[data-chat-empty]");
  var typingNote = document.querySelector("[data-typing]");
  var form = document.querySelector("[data-composer]");
  var textarea = form ? form.querySelector("textarea") : null;
  var errorNote = document.querySelector("[data-composer-error]");
  var counter = document.querySelector("[data-char-counter]");
  var pill = document.querySelector("[data-new-messages]");
  var top = root.querySelector("[data-history-top]");
  var lastSeq = Number(root.dataset.lastSeq) || 0;
  var lastId = Number(root.dataset.lastId) || 0; // the newest message of this conversation seen
  var messages = new Map(); // id → message shape, for menus, replies and reactions
  var pending = new Map(); // client_id → {frame, item, message, timer}
  var lastTypingSent = 0;
  var typingTimer = null;
  var unreadUpTo = 0; // the newest message of theirs seen on screen, to be read
  var olderUrl = null; // the next API page back in history, once known
  var historyDone = root.dataset.hasEarlier !== "1";
  var loadingOlder = false;
  var replyTo = null;

  var element = dm.element;

  var isGroup = root.dataset.group === "1"; // names from the members sheet, system lines

  function nameOf(username) {
    if (isGroup) {
      var row = document.querySelector('[data-member="' + CSS.escape(username) + '"]');
      return (row && row.dataset.memberName) || username;
    }
    return username === root.dataset.other ? otherName : username;
  }

  function avatarOf(username) {
    var avatar = isGroup
      ? element(
          "span",
          "avatar avatar--sm " + dm.avatarColor(username),
          nameOf(username).charAt(0).toUpperCase()
        )
      : element("span", "avatar avatar--sm " + root.dataset.otherColor, root.dataset.otherInitial);
    avatar.setAttribute("aria-hidden", "true");
    return avatar;
  }

  var drawContext = { me: me, nameOf: nameOf, avatarOf: avatarOf, isGroup: isGroup };

  function nearBottom() {
    return root.scrollHeight - root.scrollTop - root.clientHeight < 160;
  }

  function scrollToBottom() {
    root.scrollTop = root.scrollHeight;
    showPill(false);
  }

  function showPill(visible) {
    if (pill) {
      pill.hidden = !visible;
    }
  }

  function showError(text) {
    if (errorNote) {
      errorNote.textContent = text || "";
    } else if (text) {
      dm.toast(text);
    }
  }

  /* Reading: only what was on screen while the page was visible --------------------------- */

  function sendRead() {
    if (document.visibilityState === "visible" && unreadUpTo) {
      if (dm.socket.send({ type: "read", conversation: conversationId, up_to: unreadUpTo })) {
        unreadUpTo = 0;
      }
    }
  }

  var onScreen =
    "IntersectionObserver" in window
      ? new IntersectionObserver(
          function (entries) {
            entries.forEach(function (entry) {
              if (!entry.isIntersecting || document.visibilityState !== "visible") {
                return;
              }
              var id = Number(entry.target.dataset.id);
              onScreen.unobserve(entry.target);
              if (id > unreadUpTo) {
                unreadUpTo = id;
              }
              if (nearBottom()) {
                showPill(false);
              }
            });
            sendRead();
          },
          { root: root, threshold: 0.6 }
        )
      : null;

  function watchRead(item) {
    if (onScreen) {
      onScreen.observe(item);
    } else {
      unreadUpTo = Math.max(unreadUpTo, Number(item.dataset.id));
      sendRead();
    }
  }

  /* Drawing ---------------------------------------------------------------------------- */

  function draw(message) {
    if (typeof message.id === "number") {
      messages.set(message.id, message);
    }
    return dm.bubbles.render(message, drawContext);
  }

  /* Place a confirmed message by seq; messages still being sent stay last. */
  function insert(item, seq) {
    var confirmed = list.querySelectorAll(":scope > [data-seq]");
    for (var i = confirmed.length - 1; i >= 0; i -= 1) {
      if (Number(confirmed[i].dataset.seq) < seq) {
        confirmed[i].after(item);
        return;
      }
    }
    list.prepend(item);
  }

  function itemOf(id) {
    return list.querySelector(':scope > [data-id="' + id + '"]');
  }

  function hideTyping() {
    window.clearTimeout(typingTimer);
    if (typingNote) {
      typingNote.textContent = "";
    }
  }

  function setStatus(item, text, retry) {
    var status = item.querySelector("[data-status]");
    if (!status) {
      return;
    }
    status.replaceChildren(document.createTextNode(text));
    if (retry) {
      var button = element("button", "msg__retry", "Retry");
      button.type = "button";
      button.dataset.retry = "";
      button.addEventListener("click", retry);
      status.append(" ", button);
    }
  }

  function confirmPending(message) {
    if (!message.client_id || !pending.has(message.client_id)) {
      return null;
    }
    var entry = pending.get(message.client_id);
    window.clearTimeout(entry.timer);
    pending.delete(message.client_id);
    entry.item.remove();
    return null; // the confirmed message is drawn afresh from the server's shape
  }

  function show(message) {
    if (itemOf(message.id)) {
      return;
    }
    var mine = message.sender === me;
    var stick = mine || nearBottom();
    if (mine) {
      confirmPending(message);
    }
    var item = draw(message);
    insert(item, message.seq);
    dm.bubbles.regroup(list);
    if (message.seq > lastSeq + 1) {
      // A gap in seq: a notification was lost. Ask for everything after what we saw.
      dm.socket.sync(lastId);
    }
    lastSeq = Math.max(lastSeq, message.seq);
    lastId = Math.max(lastId, message.id);
    if (emptyNote) {
      emptyNote.hidden = true;
    }
    if (!mine) {
      hideTyping();
      if (!message.unsent) {
        watchRead(item);
      }
    }
    if (stick) {
      scrollToBottom();
    } else if (!mine) {
      showPill(true);
    }
  }

  dm.socket.on("message", function (event) {
    if (live && event.message.conversation === conversationId) {
      show(event.message);
    }
  });

  dm.socket.on("ack", function (frame) {
    // The message was already shown (by message.new or sync): drop its pending copy.
    if (frame.client_id && pending.has(frame.client_id) && itemOf(frame.message.id)) {
      confirmPending(frame.message);
    }
  });

  dm.socket.on("error", function (frame) {
    showError(frame.detail);
    if (frame.client_id && pending.has(frame.client_id)) {
      var entry = pending.get(frame.client_id);
      window.clearTimeout(entry.timer);
      pending.delete(frame.client_id);
      entry.item.remove();
      dm.bubbles.regroup(list);
      // Give the text back, so that nothing typed is lost.
      if (textarea && !textarea.value.trim()) {
        textarea.value = entry.frame.body;
        autosize();
        updateCounter();
      }
      if (emptyNote && !list.querySelector(".msg")) {
        emptyNote.hidden = false;
      }
    }
  });

  dm.socket.on("open", function () {
    pending.forEach(function (entry) {
      transmit(entry);
    });
    sendRead();
  });

  dm.socket.on("typing", function (frame) {
    if (frame.conversation !== conversationId || frame.user === me || !typingNote) {
      return;
    }
    typingNote.textContent = (isGroup ? nameOf(frame.user) : otherName) + " is typing…";
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(hideTyping, TYPING_SHOWN_FOR);
  });

  dm.socket.on("message.deleted", function (frame) {
    if (frame.conversation !== conversationId) {
      return;
    }
    var message = messages.get(frame.id);
    if (message) {
      message.unsent = true;
      message.body = "";
      message.reactions = [];
      redraw(message);
    }
    // Replies quoting it now show it as unsent.
    messages.forEach(function (other) {
      if (other.reply_to && other.reply_to.id === frame.id) {
        other.reply_to.unsent = true;
        other.reply_to.body = "";
        redraw(other);
      }
    });
  });

  dm.socket.on("reaction", function (frame) {
    if (frame.conversation !== conversationId) {
      return;
    }
    var message = messages.get(frame.message);
    if (!message) {
      return;
    }
    message.reactions = (message.reactions || []).filter(function (reaction) {
      return reaction.user !== frame.user;
    });
    if (frame.emoji) {
      message.reactions.push({ user: frame.user, emoji: frame.emoji });
    }
    var item = itemOf(message.id);
    if (item) {
      dm.bubbles.updateReactions(item, message, me);
    }
  });

  function redraw(message) {
    var item = itemOf(message.id);
    if (item) {
      var fresh = draw(message);
      fresh.className = item.className;
      fresh.classList.toggle("msg--unsent", Boolean(message.unsent));
      fresh.classList.toggle("msg--emoji", !message.unsent && dm.bubbles.isEmojiOnly(message.body));
      var seen = item.querySelector("[data-seen]");
      if (seen) {
        fresh.append(seen);
      }
      item.replaceWith(fresh);
    }
  }

  dm.socket.on("read", function (frame) {
    // The other side's read position: only sent where both turned read receipts on.
    if (frame.conversation !== conversationId || !frame.user || frame.user === me) {
      return;
    }
    var mine = list.querySelectorAll(".msg--mine[data-id]");
    var target = null;
    for (var i = mine.length - 1; i >= 0; i -= 1) {
      if (Number(mine[i].dataset.id) <= frame.up_to) {
        target = mine[i];
        break;
      }
    }
    if (!target) {
      return;
    }
    var seen = list.querySelector("[data-seen]");
    if (!seen) {
      seen = element("span", "msg__seen", "Seen");
      seen.dataset.seen = "";
    }
    target.append(seen);
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      // What arrived while hidden is read once it is on screen: observe it again.
      list.querySelectorAll(".msg--theirs[data-id]").forEach(function (item) {
        if (Number(item.dataset.id) > unreadUpTo && Number(item.dataset.id) > readBefore) {
          watchRead(item);
        }
      });
    }
  });

  /* History: scroll back through cursor pages of the API ------------------------------ */

  function getJson(url) {
    return window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      });
  }

  function prependOlder(results) {
    var firstShown = list.querySelector(":scope > [data-id]");
    var oldest = firstShown ? Number(firstShown.dataset.id) : Infinity;
    var older = results.filter(function (message) {
      return message.id < oldest && !itemOf(message.id);
    });
    if (!older.length) {
      return 0;
    }
    var keep = root.scrollHeight - root.scrollTop;
    var fragment = document.createDocumentFragment();
    older
      .slice()
      .reverse()
      .forEach(function (message) {
        fragment.append(draw(message));
      });
    list.prepend(fragment);
    dm.bubbles.regroup(list);
    root.scrollTop = root.scrollHeight - keep; // the position is kept
    return older.length;
  }

  function loadOlder() {
    if (historyDone || loadingOlder) {
      return Promise.resolve(0);
    }
    loadingOlder = true;
    if (top) {
      top.dataset.loading = "";
    }
    var url = olderUrl || "/api/v1/conversations/" + conversationId + "/messages?limit=50";
    return getJson(url)
      .then(function (page) {
        if (!page) {
          return 0;
        }
        olderUrl = page.next;
        historyDone = !page.next;
        var added = prependOlder(page.results);
        loadingOlder = false;
        // The first API page repeats what the server drew: go on to the one before it.
        if (!added && !historyDone) {
          return loadOlder();
        }
        return added;
      })
      .catch(function () {
        return 0;
      })
      .finally(function () {
        loadingOlder = false;
        if (top) {
          delete top.dataset.loading;
          top.hidden = historyDone;
        }
      });
  }

  if (top && "IntersectionObserver" in window) {
    top.hidden = historyDone;
    new IntersectionObserver(
      function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) {
          loadOlder();
        }
      },
      { root: root, rootMargin: "200px 0px 0px 0px" }
    ).observe(top);
  }

  /* Scroll to a quoted message, loading older pages until it is there (a few at most). */
  function revealMessage(id, tries) {
    var item = itemOf(id);
    if (item) {
      item.scrollIntoView({ block: "center", behavior: "smooth" });
      item.classList.remove("msg--flash");
      void item.offsetWidth; // restart the highlight
      item.classList.add("msg--flash");
      return;
    }
    if ((tries || 0) >= 20 || historyDone) {
      dm.toast("The original message is no longer available.");
      return;
    }
    loadOlder().then(function () {
      revealMessage(id, (tries || 0) + 1);
    });
  }

  list.addEventListener("click", function (event) {
    var quote = event.target.closest("[data-quote-id]");
    if (quote) {
      revealMessage(Number(quote.dataset.quoteId));
    }
  });

  if (pill) {
    pill.addEventListener("click", function () {
      scrollToBottom();
    });
  }
  root.addEventListener("scroll", function () {
    if (nearBottom()) {
      showPill(false);
    }
  });

  /* The composer ------------------------------------------------------------------------ */

  function autosize() {
    textarea.style.height = "auto";
    textarea.style.height = Math.min(textarea.scrollHeight + 2, 140) + "px";
  }

  function characters(text) {
    return Array.from(text.trim()).length; // as the server counts: code points, stripped
  }

  function tooLongSentence(count) {
    var over = count - maxLength;
    return (
      "This message is " +
      over +
      (over === 1 ? " character" : " characters") +
      " too long. Messages can be at most " +
      maxLength +
      " characters."
    );
  }

  function updateCounter() {
    if (!counter || !textarea) {
      return;
    }
    var count = characters(textarea.value);
    counter.hidden = count < Math.floor(maxLength * COUNTER_FROM);
    counter.textContent = count + " / " + maxLength;
    counter.classList.toggle("char-counter--over", count > maxLength);
    if (count <= maxLength && errorNote && errorNote.dataset.tooLong) {
      showError("");
      delete errorNote.dataset.tooLong;
    }
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function transmit(entry) {
    window.clearTimeout(entry.timer);
    setStatus(entry.item, "Sending…");
    entry.item.classList.remove("msg--failed");
    // Not open: the "open" listener sends it after the reconnect.
    if (dm.socket.send(entry.frame)) {
      entry.timer = window.setTimeout(function () {
        if (pending.get(entry.frame.client_id) === entry) {
          entry.item.classList.add("msg--failed");
          setStatus(entry.item, "Not sent.", function () {
            transmit(entry);
          });
        }
      }, ACK_WAIT_MS);
    }
  }

  function sendComposed() {
    var body = textarea.value;
    var media = dm.media ? dm.media.ready() : { busy: false, attachments: [] };
    if (media.busy) {
      showError("Wait until your files have uploaded.");
      return;
    }
    if (!body.trim() && !media.attachments.length) {
      return;
    }
    var count = characters(body);
    if (count > maxLength) {
      showError(tooLongSentence(count));
      if (errorNote) {
        errorNote.dataset.tooLong = "1";
      }
      return;
    }
    showError("");
    send(body, media.attachments);
    textarea.value = "";
    if (dm.media) {
      dm.media.clear();
    }
    autosize();
    updateCounter();
    lastTypingSent = 0;
  }

  /* Send `body` with `attachments` (uploaded, of the shape POST attachments answers). */
  function send(body, attachments) {
    var clientId = newClientId();
    var frame = {
      type: "message.send",
      conversation: conversationId,
      body: body,
      client_id: clientId,
    };
    attachments = attachments || [];
    if (attachments.length) {
      frame.attachments = attachments.map(function (attachment) {
        return attachment.id;
      });
    }
    var local = {
      sender: me,
      body: body.trim(),
      reactions: [],
      reply_to: null,
      attachments: attachments,
    };
    if (replyTo) {
      frame.reply_to = replyTo.id;
      local.reply_to = {
        id: replyTo.id,
        seq: replyTo.seq,
        sender: replyTo.sender,
        body: replyTo.body.slice(0, 100),
        unsent: replyTo.unsent,
      };
    }
    var item = draw(local);
    item.classList.add("msg--pending");
    item.dataset.clientId = clientId;
    list.append(item);
    dm.bubbles.regroup(list);
    var entry = { frame: frame, item: item, timer: null };
    pending.set(clientId, entry);
    if (emptyNote) {
      emptyNote.hidden = true;
    }
    setReplyTo(null);
    scrollToBottom();
    transmit(entry);
    document.dispatchEvent(new CustomEvent("dmsite:sent"));
  }

  /* Replying: the quoted message above the composer until sent or cancelled. */
  var replyBar = document.querySelector("[data-reply-bar]");
  function setReplyTo(message) {
    replyTo = message;
    if (!replyBar) {
      return;
    }
    replyBar.hidden = !message;
    if (message) {
      replyBar.querySelector("[data-reply-name]").textContent =
        "Replying to " + (message.sender === me ? "yourself" : nameOf(message.sender));
      replyBar.querySelector("[data-reply-text]").textContent = message.body;
      if (textarea) {
        textarea.focus();
      }
    }
  }
  if (replyBar) {
    replyBar.querySelector("[data-reply-cancel]").addEventListener("click", function () {
      setReplyTo(null);
      if (textarea) {
        textarea.focus();
      }
    });
  }

  if (form && textarea) {
    textarea.removeAttribute("maxlength"); // never a silent cut: the counter says it instead
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      sendComposed();
      textarea.focus();
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        sendComposed();
      } else if (event.key === "Escape" && replyTo) {
        setReplyTo(null);
      }
    });
    textarea.addEventListener("input", function () {
      autosize();
      updateCounter();
      var now = Date.now();
      if (textarea.value.trim() && now - lastTypingSent >= TYPING_SEND_EVERY) {
        if (dm.socket.send({ type: "typing", conversation: conversationId })) {
          lastTypingSent = now;
        }
      }
    });
    updateCounter();
  }

  /* The page as drawn by the server, again from the message shapes -------------------- */

  var readBefore = Infinity;
  var initial = document.getElementById("chat-history");
  if (initial) {
    var shapes = JSON.parse(initial.textContent);
    var seenNote = list.querySelector("[data-seen]");
    var seenOn = seenNote ? Number(seenNote.closest(".msg").dataset.id) : null;
    list.replaceChildren();
    shapes.forEach(function (message) {
      var item = draw(message);
      if (message.id === seenOn) {
        item.append(seenNote);
      }
      list.append(item);
    });
    dm.bubbles.regroup(list);
    // Opening the conversation read what it showed (the server did).
    readBefore = lastId;
  }
  var earlier = root.querySelector("[data-earlier-link]");
  if (earlier && live) {
    earlier.hidden = true; // scrolling back replaces the link
  }

  dm.chat = {
    conversationId: conversationId,
    me: me,
    message: function (id) {
      return messages.get(id);
    },
    reply: setReplyTo,
    nameOf: nameOf,
    send: send,
  };

  scrollToBottom();
})();
