/*
 * Telling a person that a message arrived while the tab is hidden: a browser notification
 * (the Notification API; permission is asked once, right after the person sends a
 * message, a moment they are clearly using the chat), the count in the tab's title, and
 * an optional short sound (off by default; "Sounds on" in a chat's ⋯ menu). Never for a
 * muted chat, never for my own messages, never for a catch-up `sync` of old ones.
 */
(function () {
  "use strict";

  var dm = window.dmsite;
  if (!dm) {
    return;
  }
  var SOUND_KEY = "dmsite.sound";
  var ASKED_KEY = "dmsite.notifications-asked";
  var baseTitle = document.title;
  var hiddenCount = 0;

  function soundOn() {
    try {
      return window.localStorage.getItem(SOUND_KEY) === "on";
    } catch (error) {
      return false;
    }
  }

  function setSound(on) {
    try {
      window.localStorage.setItem(SOUND_KEY, on ? "on" : "off");
    } catch (error) {
      /* private mode: the choice lasts for this page only */
    }
    syncSoundToggles();
  }

  function syncSoundToggles() {
    document.querySelectorAll("[data-sound-toggle]").forEach(function (toggle) {
      toggle.textContent = soundOn() ? "Sounds off" : "Sounds on";
    });
  }

  var audio = null;
  function chime() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      return;
    }
    try {
      audio = audio || new Context();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + 0.25);
      document.body.dataset.lastChime = String(Date.now());
    } catch (error) {
      /* no audio output: the title and the notification still tell */
    }
  }

  function showTitle() {
    document.title = hiddenCount ? "(" + hiddenCount + ") " + baseTitle : baseTitle;
  }

  function notify(message, conversation) {
    if (!("Notification" in window) || Notification.permission !== "granted") {
      return;
    }
    var other = conversation.other_user || {};
    var title = conversation.title || other.display_name || other.username || message.sender;
    var text = message.body || "Sent a message";
    try {
      var notification = new Notification(title, {
        body: text.length > 120 ? text.slice(0, 119) + "…" : text,
        tag: "dmsite-conversation-" + conversation.id,
      });
      notification.onclick = function () {
        window.focus();
        window.location.assign("/c/" + conversation.id);
        notification.close();
      };
    } catch (error) {
      /* some browsers only allow notifications from a service worker */
    }
  }

  dm.socket.on("message", function (event) {
    var message = event.message;
    var conversation = event.conversation;
    // Only live messages (`message.new`) from others; `sync` catch-ups come without one.
    if (!conversation || message.sender === dm.me || message.unsent || conversation.muted) {
      return;
    }
    if (conversation.folder === "filtered" || document.visibilityState === "visible") {
      return;
    }
    hiddenCount += 1;
    showTitle();
    notify(message, conversation);
    if (soundOn()) {
      chime();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      hiddenCount = 0;
      showTitle();
    }
  });

  // A sensible moment to ask: the person just sent a message, so they want answers.
  document.addEventListener("dmsite:sent", function () {
    if (!("Notification" in window) || Notification.permission !== "default") {
      return;
    }
    try {
      if (window.localStorage.getItem(ASKED_KEY)) {
        return;
      }
      window.localStorage.setItem(ASKED_KEY, "1");
    } catch (error) {
      /* ask anyway */
    }
    Notification.requestPermission();
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-sound-toggle]");
    if (toggle) {
      setSound(!soundOn());
      if (soundOn()) {
        chime(); // a sample, and browsers allow audio after this click
      }
    }
  });

  document.addEventListener("DOMContentLoaded", syncSoundToggles);
})();
