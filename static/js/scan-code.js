// The /verify page's camera: where the browser can read QR codes itself (the Shape Detection API's
// BarcodeDetector: Chrome on Android, among others), a button opens the camera, reads the document's
// signed code and checks it. Elsewhere the button never shows and the text is pasted as before.
(function () {
  "use strict";
  var form = document.querySelector("form[data-scan-code]");
  if (!form || !("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  var button = form.querySelector("[data-scan-button]");
  var video = form.querySelector("video");
  var field = form.querySelector("textarea[name=sealed]");
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var stop = function () { stream.getTracks().forEach(function (track) { track.stop(); }); video.hidden = true; };
      var look = function () {
        detector.detect(video).then(function (codes) {
          var found = codes.filter(function (code) { return /^VS1:/.test(code.rawValue); })[0];
          if (found) { stop(); field.value = found.rawValue; form.submit(); } else { requestAnimationFrame(look); }
        }).catch(function () { stop(); });
      };
      look();
    }).catch(function () { /* no camera, or refused: paste the text instead */ });
  });
}());
