/*
 * The page's one /ws/ socket (SPEC section 6), shared by inbox.js, chat.js and menus.js.
 *
 * - Reconnects by itself with exponential backoff (0.5 s doubling to 30 s, with jitter).
 * - On every (re)connect it sends `sync {after: <last message id seen>}`, so a page never
 *   loses a message it missed while disconnected; `sync.batch` and live `message.new`
 *   frames go through one `deliver`, which hands each message id to the page only once.
 * - Pages listen with `dmsite.socket.on(type, fn)`: "message" ({message, conversation}),
 *   "ack", "typing", "read", "message.deleted", "error", "open", "close", "synced".
 *
 * User text is only ever put in the page with textContent, never as HTML.
 */
(function () {
  "use strict";

  var body = document.body;
  if (!body || !body.dataset.user) {
    return;
  }

  var listeners = {};
  var seen = new Set();
  var lastId = Number(body.dataset.lastMessageId) || 0;
  var ws = null;
  var attempt = 0;
  var retryTimer = null;
  var bannerTimer = null;
  var stopped = false;
  var banner = null;

  function on(type, fn) {
    (listeners[type] = listeners[type] || []).push(fn);
  }

  function has(type) {
    return Boolean(listeners[type] && listeners[type].length);
  }

  function emit(type, data) {
    (listeners[type] || []).forEach(function (fn) {
      try {
        fn(data);
      } catch (error) {
        window.console.error(error);
      }
    });
  }

  function isOpen() {
    return ws !== null && ws.readyState === WebSocket.OPEN;
  }

  /* Send a frame now; false when the socket is not open (callers keep what must be resent). */
  function send(frame) {
    if (!isOpen()) {
      return false;
    }
    ws.send(JSON.stringify(frame));
    return true;
  }

  function sync(after) {
    return send({ type: "sync", after: typeof after === "number" ? after : lastId });
  }

  function deliver(message, conversation) {
    if (!message || typeof message.id !== "number" || seen.has(message.id)) {
      return false;
    }
    seen.add(message.id);
    if (message.id > lastId) {
      lastId = message.id;
    }
    emit("message", { message: message, conversation: conversation || null });
    return true;
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "message.new":
        deliver(frame.message, frame.conversation);
        break;
      case "message.ack":
        deliver(frame.message, null);
        emit("ack", frame);
        break;
      case "sync.batch":
        (frame.messages || []).forEach(function (message) {
          deliver(message, null);
        });
        break;
      case "sync.done":
        if (frame.has_more) {
          sync(frame.last_id);
        } else {
          emit("synced", frame);
        }
        break;
      case "error":
        if (has("error")) {
          emit("error", frame);
        } else {
          toast(frame.detail);
        }
        break;
      default:
        emit(frame.type, frame);
    }
  }

  function showBanner(visible) {
    window.clearTimeout(bannerTimer);
    if (!visible) {
      if (banner) {
        banner.hidden = true;
      }
      return;
    }
    // Only a disconnection that lasts is worth a banner.
    bannerTimer = window.setTimeout(function () {
      if (!banner) {
        banner = document.createElement("div");
        banner.className = "conn-banner";
        banner.setAttribute("role", "status");
        banner.dataset.connectionBanner = "";
        banner.textContent = "Reconnecting…";
        document.querySelector(".app").prepend(banner);
      }
      banner.hidden = false;
    }, 1500);
  }

  function scheduleReconnect() {
    var delay = Math.min(30000, 500 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
    attempt += 1;
    retryTimer = window.setTimeout(connect, delay);
  }

  function connect() {
    retryTimer = null;
    if (stopped || ws !== null) {
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/");
    ws = socket;
    socket.addEventListener("open", function () {
      attempt = 0;
      showBanner(false);
      sync();
      emit("open");
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (frame && typeof frame.type === "string") {
        onFrame(frame);
      }
    });
    socket.addEventListener("close", function (event) {
      if (ws !== socket) {
        return;
      }
      ws = null;
      emit("close", event);
      if (stopped) {
        return;
      }
      if (event.code === 4401) {
        // The session ended (logged out in another tab): retrying cannot help.
        toast("You are logged out. Reload the page to log in again.");
        return;
      }
      showBanner(true);
      scheduleReconnect();
    });
  }

  /* Reconnect at once when the network or the tab comes back. */
  function reconnectNow() {
    if (stopped || ws !== null) {
      return;
    }
    window.clearTimeout(retryTimer);
    connect();
  }

  var toastTimer = null;
  function toast(text) {
    var node = document.querySelector("[data-toast]");
    if (!node) {
      node = document.createElement("p");
      node.className = "toast";
      node.setAttribute("role", "alert");
      node.dataset.toast = "";
      document.body.append(node);
    }
    node.textContent = String(text || "");
    node.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(function () {
      node.hidden = true;
    }, 6000);
  }

  /* "now", "5m", "3h", the weekday, then the date: as the chat_time template filter. */
  function chatTime(date, full) {
    if (!(date instanceof Date) || isNaN(date.getTime())) {
      return "";
    }
    if (full) {
      return date.toLocaleString([], {
        month: "short",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
      });
    }
    var seconds = (Date.now() - date.getTime()) / 1000;
    if (seconds < 60) {
      return "now";
    }
    if (seconds < 3600) {
      return Math.floor(seconds / 60) + "m";
    }
    if (seconds < 86400) {
      return Math.floor(seconds / 3600) + "h";
    }
    if (seconds < 6 * 86400) {
      return date.toLocaleDateString([], { weekday: "short" });
    }
    var label = date.getMonth() + 1 + "/" + date.getDate();
    if (date.getFullYear() !== new Date().getFullYear()) {
      label += "/" + String(date.getFullYear() % 100).padStart(2, "0");
    }
    return label;
  }

  function refreshTimes(root) {
    (root || document).querySelectorAll("time[data-chat-time]").forEach(function (node) {
      var text = chatTime(new Date(node.getAttribute("datetime")), node.dataset.chatTime === "full");
      if (text) {
        node.textContent = text;
      }
    });
  }

  /* The avatar colour class of a username: as the avatar_color template filter. */
  function avatarColor(username) {
    var sum = 0;
    for (var i = 0; i < username.length; i += 1) {
      sum += username.charCodeAt(i);
    }
    return "avatar--c" + (sum % 10);
  }

  /* A new element with a class and text (textContent: user text is never HTML). */
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  window.dmsite = {
    me: body.dataset.user,
    socket: {
      on: on,
      send: send,
      sync: sync,
      isOpen: isOpen,
      lastId: function () {
        return lastId;
      },
    },
    toast: toast,
    chatTime: chatTime,
    refreshTimes: refreshTimes,
    avatarColor: avatarColor,
    csrfToken: csrfToken,
    element: element,
  };

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      reconnectNow();
    }
  });
  // A page restored from the back/forward cache gets a fresh socket and catches up.
  window.addEventListener("pagehide", function (event) {
    if (event.persisted && ws) {
      stopped = true;
      ws.close();
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      stopped = false;
      reconnectNow();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    refreshTimes();
    window.setInterval(refreshTimes, 60000);
    connect();
  });
})();
