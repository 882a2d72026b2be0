// Stockhouse work areas (contributor, reviewer, generator): progressive enhancements only.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function getJson(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      done(xhr.status, body);
    };
    xhr.onerror = function () { done(0, null); };
    xhr.send();
  }

  // -- upload: many files, each posted on its own with its own progress bar ----------------
  var FINISHED_UPLOADS = { done: true, duplicate: true, rejected: true };

  function uploadRow(list, file) {
    var row = document.createElement("li");
    row.className = "upload-row";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var state = document.createElement("span");
    state.className = "upload-state";
    state.textContent = "waiting";
    row.appendChild(name); row.appendChild(bar); row.appendChild(state);
    list.appendChild(row);
    return { row: row, bar: bar, state: state };
  }

  function describe(body) {
    if (body.state === "done" && body.item_id) { return "ready: item #" + body.item_id; }
    if (body.state === "duplicate") { return "duplicate of item #" + body.duplicate_of; }
    if (body.state === "rejected") { return "refused: " + (body.reason || "not a media file"); }
    return body.state;
  }

  function pollUpload(form, ui, id) {
    getJson(form.getAttribute("data-state-url") + id, function (status, body) {
      if (status !== 200 || !body) { ui.state.textContent = "sent (reload to see it)"; return; }
      ui.state.textContent = describe(body);
      ui.row.setAttribute("data-state", body.state);
      if (body.item_id) { ui.row.setAttribute("data-item-id", String(body.item_id)); }
      if (!FINISHED_UPLOADS[body.state]) {
        window.setTimeout(function () { pollUpload(form, ui, id); }, 1000);
      }
    });
  }

  function sendFile(form, file, ui, submit, next) {
    var data = new FormData();
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-upload-url") + (submit ? "?submit=1" : ""));
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable) { ui.bar.value = Math.round(100 * event.loaded / event.total); }
    };
    ui.state.textContent = "uploading";
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status === 201 && body) {
        ui.bar.value = 100;
        ui.state.textContent = "processing";
        pollUpload(form, ui, body.id);
      } else {
        ui.row.setAttribute("data-state", "failed");
        ui.state.textContent = "failed: " + ((body && body.error) || ("HTTP " + xhr.status));
      }
      next();
    };
    xhr.onerror = function () { ui.state.textContent = "failed: network error"; next(); };
    xhr.send(data);
  }

  function uploadAll(form, files) {
    var list = document.getElementById("upload-list");
    var submit = form.querySelector("input[name=submit]");
    var queue = Array.prototype.slice.call(files).map(function (file) {
      return { file: file, ui: uploadRow(list, file) };
    });
    var running = 0, LIMIT = 3;
    function pump() {
      while (running < LIMIT && queue.length) {
        var job = queue.shift();
        running += 1;
        sendFile(form, job.file, job.ui, submit && submit.checked, function () { running -= 1; pump(); });
      }
    }
    pump();
  }

  function wireUpload() {
    var form = document.getElementById("upload-form");
    if (!form) { return; }
    var input = form.querySelector("input[type=file]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (input.files.length) { uploadAll(form, input.files); input.value = ""; }
    });
    input.addEventListener("change", function () {
      if (input.files.length) { uploadAll(form, input.files); input.value = ""; }
    });
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) { event.preventDefault(); form.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () { form.classList.remove("dragging"); });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) { uploadAll(form, event.dataTransfer.files); }
    });
  }

  // A header checkbox ticks every box of its name.
  function wireSelectAll() {
    document.querySelectorAll("input[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var name = box.getAttribute("data-select-all");
        box.form && box.form.querySelectorAll("input[name=" + name + "]").forEach(function (b) { b.checked = box.checked; });
      });
    });
  }

  // -- review queue: j/k move, a approves, r goes to the reason ------------------------------
  function wireReviewKeys() {
    var list = document.querySelector("[data-review-keys]");
    if (!list) { return; }
    var cards = Array.prototype.slice.call(list.querySelectorAll(".review-card"));
    if (!cards.length) { return; }
    var index = 0;
    function show(i) {
      index = Math.max(0, Math.min(cards.length - 1, i));
      cards.forEach(function (c, n) { c.classList.toggle("current", n === index); });
      cards[index].focus();
      cards[index].scrollIntoView({ block: "nearest" });
    }
    cards.forEach(function (card, n) {
      card.addEventListener("focusin", function () {
        index = n;
        cards.forEach(function (c, m) { c.classList.toggle("current", m === n); });
      });
    });
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
      if (typing || event.altKey || event.ctrlKey || event.metaKey) {
        if (typing && event.key === "Escape") { cards[index].focus(); }
        return;
      }
      var card = cards[index];
      if (event.key === "j") { show(index + 1); event.preventDefault(); }
      else if (event.key === "k") { show(index - 1); event.preventDefault(); }
      else if (event.key === "a") {
        var approve = card.querySelector("form[data-action=approve]");
        if (approve) { event.preventDefault(); approve.requestSubmit ? approve.requestSubmit() : approve.submit(); }
      } else if (event.key === "r") {
        var reason = card.querySelector("form[data-action=reject] input[name=reason]");
        if (reason) { event.preventDefault(); reason.focus(); }
      }
    });
    show(0);
  }

  // -- generator: poll the job until it is finished, then show the pictures -----------------
  function wireGeneration() {
    var box = document.getElementById("job-progress");
    if (!box) { return; }
    var url = box.getAttribute("data-job-state");
    var every = parseInt(box.getAttribute("data-poll-ms"), 10) || 1500;
    var bar = document.getElementById("job-bar");
    var message = document.getElementById("job-message");
    var status = document.getElementById("job-status");
    function poll() {
      getJson(url, function (code, body) {
        if (code !== 200 || !body) { window.setTimeout(poll, every * 2); return; }
        status.textContent = body.status;
        bar.value = (body.status === "new" ? 0 : 1) + body.ready;
        if (body.status === "completed" || body.status === "failed") {
          message.textContent = body.status === "completed" ? "Done: showing your pictures…" : "The generation failed.";
          window.location.reload();
        } else {
          message.textContent = body.status === "new" ? "Waiting for the generator…" : "Drawing your pictures… " + body.ready + " of " + body.pictures + " ready.";
          window.setTimeout(poll, every);
        }
      });
    }
    window.setTimeout(poll, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireUpload(); wireSelectAll(); wireReviewKeys(); wireGeneration();
  });
})();
