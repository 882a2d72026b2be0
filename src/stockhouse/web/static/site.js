// Stockhouse web UI: progressive enhancements only; every page works without JavaScript.
(function () {
  "use strict";

  // Video tiles play their preview while hovered or focused.
  function wireVideoTiles() {
    document.querySelectorAll("[data-hover-video]").forEach(function (box) {
      var link = box.closest("a") || box;
      var video = null;
      function start() {
        if (!video) {
          video = document.createElement("video");
          video.src = box.getAttribute("data-hover-video");
          video.muted = true; video.loop = true; video.playsInline = true;
          video.setAttribute("aria-hidden", "true");
          box.appendChild(video);
        }
        video.hidden = false;
        var playing = video.play();
        if (playing && playing.catch) { playing.catch(function () {}); }
      }
      function stop() { if (video) { video.pause(); video.hidden = true; } }
      link.addEventListener("mouseenter", start);
      link.addEventListener("focus", start);
      link.addEventListener("mouseleave", stop);
      link.addEventListener("blur", stop);
    });
  }

  // Audio tiles: one play button per sound; starting one stops the others.
  function wireAudioButtons() {
    var current = null;
    document.querySelectorAll("button[data-audio]").forEach(function (button) {
      var audio = null;
      button.addEventListener("click", function () {
        if (!audio) {
          audio = new Audio(button.getAttribute("data-audio"));
          audio.addEventListener("ended", function () { button.setAttribute("aria-pressed", "false"); });
        }
        if (audio.paused) {
          if (current && current !== audio) { current.pause(); }
          document.querySelectorAll("button[data-audio][aria-pressed=true]").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
          audio.play(); current = audio; button.setAttribute("aria-pressed", "true");
        } else {
          audio.pause(); button.setAttribute("aria-pressed", "false");
        }
      });
    });
  }

  // Filters apply as soon as a choice changes (the Apply button stays for keyboards).
  function wireFilters() {
    var form = document.getElementById("filters");
    if (!form) { return; }
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "q") { return; }
      var page = form.querySelector("input[name=page]");
      if (page) { page.remove(); }
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  }

  // Forms marked data-confirm ask first.
  function wireConfirm() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireVideoTiles(); wireAudioButtons(); wireFilters(); wireConfirm();
  });
})();
