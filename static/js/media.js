/*
 * Photos, videos and voice notes (SPEC section 10), for every page (socket.js first):
 *
 * - `dmsite.media.render(message)`: a message's attachments as the bubble shows them
 *   (templates/attachments/_media.html draws the same), `dmsite.media.preview(message)`
 *   the inbox line ("📷 Photo", "🎤 Voice message").
 * - The composer's attach button: several photos and videos at once, each previewed and
 *   uploaded at once (POST /api/v1/attachments) with a progress bar; a refusal shows the
 *   server's sentence on that file. `dmsite.media.ready()` hands the ids to chat.js.
 * - Hold the microphone to record a voice note (MediaRecorder): a timer, Cancel (or slide
 *   away before letting go), and it stops by itself at VOICE_MAX_SECONDS; letting go
 *   uploads it and sends it alone through `dmsite.chat.send`.
 * - A full-screen viewer for photos (a native <dialog>).
 *
 * User text only ever goes in through textContent; no inline scripts (CSP).
 */
(function () {
  "use strict";

  var dm = window.dmsite;
  if (!dm) {
    return;
  }

  var element = dm.element;

  function duration(milliseconds) {
    var seconds = Math.round((milliseconds || 0) / 1000);
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  /* The bubble's media, as templates/attachments/_media.html draws it. */
  function render(message) {
    var attachments = message.attachments || [];
    if (!attachments.length || message.unsent) {
      return null;
    }
    var voice = attachments[0].kind === "voice";
    var count = attachments.length > 4 ? "many" : String(attachments.length);
    var box = element("div", "msg__media" + (voice ? "" : " media-grid media-grid--" + count));
    attachments.forEach(function (attachment) {
      if (attachment.kind === "image") {
        var link = element("a", "media-grid__item");
        link.href = attachment.url;
        link.dataset.mediaViewer = "";
        var image = element("img");
        image.src = attachment.thumbnail_url || attachment.url;
        image.alt = "Photo";
        image.width = attachment.width || 0;
        image.height = attachment.height || 0;
        link.append(image);
        box.append(link);
      } else if (attachment.kind === "video") {
        var video = element("video", "media-grid__item");
        video.controls = true;
        video.preload = "metadata";
        video.playsInline = true;
        if (attachment.thumbnail_url) {
          video.poster = attachment.thumbnail_url;
        }
        video.src = attachment.url;
        video.setAttribute("aria-label", "Video, " + duration(attachment.duration_ms));
        box.append(video);
      } else {
        var player = element("div", "voice");
        player.dataset.voice = "";
        var audio = element("audio");
        audio.controls = true;
        audio.preload = "metadata";
        audio.src = attachment.url;
        audio.setAttribute("aria-label", "Voice message, " + duration(attachment.duration_ms));
        player.append(audio, element("span", "voice__duration", duration(attachment.duration_ms)));
        box.append(player);
      }
    });
    return box;
  }

  function preview(message) {
    var attachments = (message && message.attachments) || [];
    if (!attachments.length || message.body) {
      return null;
    }
    if (attachments[0].kind === "voice") {
      return "🎤 Voice message";
    }
    if (attachments.every(function (a) { return a.kind === "video"; })) {
      return attachments.length > 1 ? "🎥 " + attachments.length + " videos" : "🎥 Video";
    }
    return attachments.length > 1 ? "📷 " + attachments.length + " photos" : "📷 Photo";
  }

  /* One upload with progress; resolves with the attachment, rejects with a sentence. */
  function upload(file, onProgress) {
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      request.open("POST", "/api/v1/attachments");
      request.setRequestHeader("X-CSRFToken", dm.csrfToken());
      request.responseType = "json";
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable && onProgress) {
          onProgress(event.loaded / event.total);
        }
      });
      request.addEventListener("load", function () {
        var body = request.response || {};
        if (request.status === 201) {
          resolve(body);
        } else {
          reject(body.detail || "This file could not be uploaded.");
        }
      });
      request.addEventListener("error", function () {
        reject("The upload failed. Check your connection and try again.");
      });
      var data = new FormData();
      data.append("file", file, file.name || "upload");
      request.send(data);
    });
  }

  /* The composer's tray of attachments --------------------------------------------------- */

  var tray = document.querySelector("[data-media-tray]");
  var input = document.querySelector("[data-media-input]");
  var items = []; // {attachment|null, busy, failed, node}

  function removeItem(entry) {
    items = items.filter(function (other) { return other !== entry; });
    if (entry.previewUrl) {
      URL.revokeObjectURL(entry.previewUrl);
    }
    entry.node.remove();
    tray.hidden = !items.length;
  }

  function addFile(file) {
    var entry = { attachment: null, busy: true, failed: false };
    var node = element("li", "tray__item");
    entry.node = node;
    entry.previewUrl = URL.createObjectURL(file);
    var shown;
    if (file.type.indexOf("video/") === 0) {
      shown = element("video", "tray__preview");
      shown.muted = true;
    } else {
      shown = element("img", "tray__preview");
      shown.alt = file.name;
    }
    shown.src = entry.previewUrl;
    var progress = element("progress", "tray__progress");
    progress.max = 1;
    progress.value = 0;
    progress.setAttribute("aria-label", "Uploading " + file.name);
    var remove = element("button", "tray__remove", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", "Remove " + file.name);
    remove.addEventListener("click", function () { removeItem(entry); });
    var note = element("p", "tray__error");
    note.setAttribute("role", "alert");
    node.append(shown, progress, remove, note);
    tray.append(node);
    tray.hidden = false;
    items.push(entry);
    upload(file, function (fraction) { progress.value = fraction; }).then(
      function (attachment) {
        entry.attachment = attachment;
        entry.busy = false;
        progress.remove();
        node.dataset.attachmentId = String(attachment.id);
      },
      function (sentence) {
        entry.busy = false;
        entry.failed = true;
        progress.remove();
        node.classList.add("tray__item--failed");
        note.textContent = file.name + ": " + sentence;
      }
    );
  }

  if (tray && input) {
    var attachButton = document.querySelector("[data-media-attach]");
    if (attachButton) {
      attachButton.hidden = false;
      attachButton.addEventListener("click", function () { input.click(); });
    }
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, addFile);
      input.value = "";
    });
  }

  /* What the composer may send now: uploaded attachments, or `busy` while some upload. */
  function ready() {
    var done = items.filter(function (entry) { return entry.attachment; });
    return {
      busy: items.some(function (entry) { return entry.busy; }),
      attachments: done.map(function (entry) { return entry.attachment; }),
    };
  }

  function clear() {
    items.slice().forEach(removeItem);
  }

  /* Voice notes: hold to record ------------------------------------------------------------ */

  var record = document.querySelector("[data-voice-record]");
  var recorderBar = document.querySelector("[data-voice-bar]");
  var timerNote = document.querySelector("[data-voice-timer]");
  var cancelButton = document.querySelector("[data-voice-cancel]");
  var recording = null; // {recorder, chunks, started, timer, cancelled, stream}

  function recordError(sentence) {
    var note = document.querySelector("[data-composer-error]");
    if (note) {
      note.textContent = sentence;
    }
  }

  function stopRecording(cancelled) {
    var state = recording;
    if (!state) {
      return;
    }
    // Free at once: a new recording may start before this one's "stop" event arrives.
    recording = null;
    state.cancelled = cancelled;
    window.clearInterval(state.timer);
    if (state.recorder && state.recorder.state !== "inactive") {
      state.recorder.stop();
    }
    record.setAttribute("aria-pressed", "false");
    recorderBar.hidden = true;
  }

  function finishRecording(state) {
    state.stream.getTracks().forEach(function (track) { track.stop(); });
    if (state.cancelled || !state.chunks.length) {
      return;
    }
    var type = state.recorder.mimeType || "audio/webm";
    var file = new File(state.chunks, "voice.webm", { type: type });
    record.disabled = true;
    upload(file).then(
      function (attachment) {
        record.disabled = false;
        dm.chat.send("", [attachment]);
      },
      function (sentence) {
        record.disabled = false;
        recordError(sentence);
      }
    );
  }

  function startRecording() {
    if (recording || !navigator.mediaDevices || !window.MediaRecorder) {
      if (!window.MediaRecorder) {
        recordError("This browser cannot record voice messages.");
      }
      return;
    }
    var maxSeconds = Number(record.dataset.voiceMax) || 60;
    var state = { chunks: [], cancelled: false };
    recording = state;
    navigator.mediaDevices.getUserMedia({ audio: true }).then(
      function (stream) {
        if (recording !== state) {  // let go before the microphone opened
          stream.getTracks().forEach(function (track) { track.stop(); });
          return;
        }
        state.stream = stream;
        var type = MediaRecorder.isTypeSupported("audio/webm;codecs=opus")
          ? "audio/webm;codecs=opus"
          : "";
        state.recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
        state.recorder.addEventListener("dataavailable", function (event) {
          if (event.data && event.data.size) {
            state.chunks.push(event.data);
          }
        });
        state.recorder.addEventListener("stop", function () { finishRecording(state); });
        state.recorder.start(250);
        state.started = Date.now();
        record.setAttribute("aria-pressed", "true");
        recorderBar.hidden = false;
        timerNote.textContent = "0:00";
        state.timer = window.setInterval(function () {
          var elapsed = Date.now() - state.started;
          timerNote.textContent = duration(elapsed);
          if (elapsed >= maxSeconds * 1000 && recording === state) {
            stopRecording(false);
          }
        }, 200);
      },
      function () {
        recording = null;
        recordError("Allow the microphone to record a voice message.");
      }
    );
  }

  if (record && recorderBar && window.MediaRecorder) {
    record.hidden = false;  // without a recorder (or without JavaScript) there is no button
  }
  if (record && recorderBar) {
    record.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      record.setPointerCapture(event.pointerId);
      startRecording();
    });
    record.addEventListener("pointerup", function (event) {
      // Let go away from the button: that is a slide to cancel.
      var box = record.getBoundingClientRect();
      var inside =
        event.clientX >= box.left - 40 && event.clientX <= box.right + 40 &&
        event.clientY >= box.top - 40 && event.clientY <= box.bottom + 40;
      if (recording && !recording.recorder) {
        recording = null;  // let go before the microphone opened
        return;
      }
      stopRecording(!inside);
    });
    record.addEventListener("pointercancel", function () { stopRecording(true); });
    record.addEventListener("keydown", function (event) {
      // Keyboard: Space or Enter starts, the same key again sends, Escape cancels.
      if (event.key === "Escape") {
        stopRecording(true);
      } else if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        if (recording) {
          stopRecording(false);
        } else {
          startRecording();
        }
      }
    });
    if (cancelButton) {
      cancelButton.addEventListener("click", function () { stopRecording(true); });
    }
  }

  /* The full-screen photo viewer ---------------------------------------------------------- */

  var viewer = null;

  function openViewer(href) {
    if (!viewer) {
      viewer = element("dialog", "viewer");
      viewer.setAttribute("aria-label", "Photo");
      var close = element("button", "viewer__close", "×");
      close.type = "button";
      close.setAttribute("aria-label", "Close");
      close.addEventListener("click", function () { viewer.close(); });
      var image = element("img", "viewer__image");
      image.alt = "Photo";
      viewer.append(close, image);
      viewer.addEventListener("click", function (event) {
        if (event.target === viewer) {
          viewer.close();
        }
      });
      document.body.append(viewer);
    }
    viewer.querySelector("img").src = href;
    viewer.showModal();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-media-viewer]");
    if (link && typeof HTMLDialogElement === "function") {
      event.preventDefault();
      openViewer(link.href);
    }
  });

  dm.media = { render: render, preview: preview, upload: upload, ready: ready, clear: clear };
})();
