// The voice simulator: each sentence's audio plays after the one before, as on the call; on a
// question answered by several keys and the hash key, the keypad types into the field and only
// "#" sends, as on a phone (without JavaScript each key is sent alone).
document.querySelectorAll("audio[data-next]").forEach(function (audio, index, all) {
  audio.addEventListener("ended", function () {
    if (all[index + 1]) { all[index + 1].play(); }
  });
});
document.querySelectorAll("form.keypad[data-finish-on]").forEach(function (form) {
  var field = form.querySelector("input[name=input]");
  form.querySelectorAll("button[name=key]").forEach(function (button) {
    if (button.value === form.dataset.finishOn) { return; }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      field.value += button.value;
    });
  });
});
