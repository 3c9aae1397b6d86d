/*
 * The conversation page over the socket (socket.js): live messages in `seq` order, each
 * message id shown once; send with Enter (Shift+Enter: new line); a typing indicator
 * (`typing` sent at most every 3 s while typing, "… is typing" shown for 4 s); reads sent
 * while the page is visible; every `error` frame shown as its sentence by the composer.
 *
 * Messages being sent wait in `pending` under their client_id. They are sent again after
 * a reconnect; the server answers a repeated client_id with the stored message, so a
 * retry never makes a duplicate.
 */
(function () {
  "use strict";

  var dm = window.dmsite;
  var root = document.querySelector("[data-chat]");
  if (!dm || !root) {
    return;
  }

  var TYPING_SEND_EVERY = 3000;
  var TYPING_SHOWN_FOR = 4000;

  var conversationId = Number(root.dataset.conversation);
  var me = root.dataset.me;
  var otherName = root.dataset.otherName;
  var live = root.dataset.live === "1";
  var list = root.querySelector("[data-messages]");
  var emptyNote = root.querySelector("[data-chat-empty]");
  var typingNote = document.querySelector("[data-typing]");
  var form = document.querySelector("[data-composer]");
  var textarea = form ? form.querySelector("textarea") : null;
  var errorNote = document.querySelector("[data-composer-error]");
  var lastSeq = Number(root.dataset.lastSeq) || 0;
  var lastId = Number(root.dataset.lastId) || 0; // the newest message of this conversation seen
  var pending = new Map(); // client_id → {frame, item}
  var lastTypingSent = 0;
  var typingTimer = null;
  var unreadUpTo = 0; // a read to send once the page is visible

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

  function nearBottom() {
    return root.scrollHeight - root.scrollTop - root.clientHeight < 160;
  }

  function scrollToBottom() {
    root.scrollTop = root.scrollHeight;
  }

  function showError(text) {
    if (errorNote) {
      errorNote.textContent = text || "";
    } else if (text) {
      dm.toast(text);
    }
  }

  /* A bubble, as templates/messaging/_message.html draws it; text only via textContent. */
  function bubble(message) {
    var mine = message.sender === me;
    var item = element("li", "msg " + (mine ? "msg--mine" : "msg--theirs"));
    if (!mine) {
      var avatar = element(
        "span",
        "avatar avatar--sm " + root.dataset.otherColor,
        root.dataset.otherInitial
      );
      avatar.setAttribute("aria-hidden", "true");
      item.append(avatar);
    }
    item.append(element("span", "sr-only", (mine ? "You" : otherName) + ":"));
    var media = dm.media ? dm.media.render(message) : null; // static/js/media.js
    if (media) {
      item.append(media);
    }
    if (message.unsent || message.body || !media) {
      item.append(element("p", "msg__body", message.unsent ? "Message unsent" : message.body));
    }
    if (message.unsent) {
      item.classList.add("msg--unsent");
    }
    if (typeof message.id === "number") {
      item.dataset.id = String(message.id);
      item.dataset.seq = String(message.seq);
    }
    return item;
  }

  /* Place a confirmed message by seq; messages still being sent stay last. */
  function insert(item, seq) {
    var confirmed = list.querySelectorAll(".msg[data-seq]");
    for (var i = confirmed.length - 1; i >= 0; i -= 1) {
      if (Number(confirmed[i].dataset.seq) < seq) {
        confirmed[i].after(item);
        return;
      }
    }
    list.prepend(item);
  }

  function markRead(upTo) {
    if (upTo > unreadUpTo) {
      unreadUpTo = upTo;
    }
    if (document.visibilityState === "visible" && unreadUpTo) {
      if (dm.socket.send({ type: "read", conversation: conversationId, up_to: unreadUpTo })) {
        unreadUpTo = 0;
      }
    }
  }

  function hideTyping() {
    window.clearTimeout(typingTimer);
    if (typingNote) {
      typingNote.textContent = "";
    }
  }

  function confirmPending(message) {
    if (!message.client_id || !pending.has(message.client_id)) {
      return null;
    }
    var item = pending.get(message.client_id).item;
    pending.delete(message.client_id);
    item.classList.remove("msg--pending");
    item.removeAttribute("data-client-id");
    item.dataset.id = String(message.id);
    item.dataset.seq = String(message.seq);
    item.remove();
    return item;
  }

  dm.socket.on("message", function (event) {
    var message = event.message;
    if (!live || message.conversation !== conversationId) {
      return;
    }
    if (list.querySelector('.msg[data-id="' + message.id + '"]')) {
      return;
    }
    var mine = message.sender === me;
    var stick = mine || nearBottom();
    var item = (mine && confirmPending(message)) || bubble(message);
    insert(item, message.seq);
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
      markRead(message.id);
    }
    if (stick) {
      scrollToBottom();
    }
  });

  dm.socket.on("ack", function (frame) {
    // The message was already shown (by message.new or sync): drop its pending copy.
    if (frame.client_id && pending.has(frame.client_id)) {
      var shown = list.querySelector('.msg[data-id="' + frame.message.id + '"]');
      if (shown) {
        pending.get(frame.client_id).item.remove();
        pending.delete(frame.client_id);
      }
    }
  });

  dm.socket.on("error", function (frame) {
    showError(frame.detail);
    if (frame.client_id && pending.has(frame.client_id)) {
      var entry = pending.get(frame.client_id);
      pending.delete(frame.client_id);
      entry.item.remove();
      // Give the text back, so that nothing typed is lost.
      if (textarea && !textarea.value.trim()) {
        textarea.value = entry.frame.body;
        autosize();
      }
      if (emptyNote && !list.querySelector(".msg")) {
        emptyNote.hidden = false;
      }
    }
  });

  dm.socket.on("open", function () {
    pending.forEach(function (entry) {
      dm.socket.send(entry.frame);
    });
    markRead(0);
  });

  dm.socket.on("typing", function (frame) {
    if (frame.conversation !== conversationId || frame.user === me || !typingNote) {
      return;
    }
    typingNote.textContent = otherName + " is typing…";
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(hideTyping, TYPING_SHOWN_FOR);
  });

  dm.socket.on("message.deleted", function (frame) {
    if (frame.conversation !== conversationId) {
      return;
    }
    var item = list.querySelector('.msg[data-id="' + frame.id + '"]');
    if (item) {
      item.classList.add("msg--unsent");
      item.querySelector(".msg__body").textContent = "Message unsent";
    }
  });

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
    markRead(0);
  });

  /* The composer ------------------------------------------------------------------------ */

  function autosize() {
    textarea.style.height = "auto";
    textarea.style.height = Math.min(textarea.scrollHeight + 2, 140) + "px";
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function sendComposed() {
    var body = textarea.value;
    var media = dm.media ? dm.media.ready() : { busy: false, attachments: [] };
    if (media.busy) {
      showError("Wait until your photos and videos are uploaded.");
      return;
    }
    if (!body.trim() && !media.attachments.length) {
      return;
    }
    if (dm.media) {
      dm.media.clear();
    }
    sendMessage(body, media.attachments);
    textarea.value = "";
    autosize();
    lastTypingSent = 0;
  }

  /* Send a message (text, attachments or both: a voice note from media.js is alone). */
  function sendMessage(body, attachments) {
    showError("");
    var clientId = newClientId();
    var frame = {
      type: "message.send",
      conversation: conversationId,
      body: body,
      client_id: clientId,
    };
    if (attachments.length) {
      frame.attachments = attachments.map(function (attachment) { return attachment.id; });
    }
    var item = bubble({ sender: me, body: body.trim(), attachments: attachments });
    item.classList.add("msg--pending");
    item.dataset.clientId = clientId;
    list.append(item);
    pending.set(clientId, { frame: frame, item: item });
    if (emptyNote) {
      emptyNote.hidden = true;
    }
    scrollToBottom();
    // Not open: the "open" listener sends it after the reconnect.
    dm.socket.send(frame);
  }

  dm.chat = { send: sendMessage };

  if (form && textarea) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      sendComposed();
      textarea.focus();
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        sendComposed();
      }
    });
    textarea.addEventListener("input", function () {
      autosize();
      var now = Date.now();
      if (textarea.value.trim() && now - lastTypingSent >= TYPING_SEND_EVERY) {
        if (dm.socket.send({ type: "typing", conversation: conversationId })) {
          lastTypingSent = now;
        }
      }
    });
  }

  scrollToBottom();
})();
