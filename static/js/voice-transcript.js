// The voice simulator: each sentence's audio plays after the one before, as on the call.
document.querySelectorAll("audio[data-next]").forEach(function (audio, index, all) {
  audio.addEventListener("ended", function () {
    if (all[index + 1]) { all[index + 1].play(); }
  });
});
