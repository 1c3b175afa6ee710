// Photos from a phone's camera are often 4–12 MB: too slow to send on 3G and sometimes over the
// limit. Where JavaScript runs, each picture chosen in a file field marked data-max-bytes is made
// smaller here (longest edge 1600 px, JPEG; the server makes its own sizes from it anyway), and a
// file that is still over the limit is taken out of the field with a message, before anything is
// sent. Without JavaScript the server checks the size and shows the same form with the message.
(function () {
  "use strict";
  var EDGE = 1600;
  var SHRINK_ABOVE = 1024 * 1024;
  if (!window.DataTransfer || !window.createImageBitmap || !HTMLCanvasElement.prototype.toBlob) { return; }

  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || file.size <= SHRINK_ABOVE) { return Promise.resolve(file); }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, EDGE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          resolve(new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });  // a picture the browser cannot draw goes as it is
  }

  function message(input) {
    var id = input.id + "-size";
    var note = document.getElementById(id);
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = "error-message";
      note.setAttribute("role", "alert");
      input.parentNode.insertBefore(note, input);
    }
    return note;
  }

  function check(input) {
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) { return; }
    input.setAttribute("aria-busy", "true");
    Promise.all(files.map(shrink)).then(function (ready) {
      var kept = new DataTransfer();
      var refused = [];
      ready.forEach(function (file) {
        if (file.size > limit) { refused.push(file.name); } else { kept.items.add(file); }
      });
      input.files = kept.files;
      input.removeAttribute("aria-busy");
      var note = message(input);
      note.textContent = refused.length ? input.getAttribute("data-too-big").replace("%(names)s", refused.join(", ")) : "";
      note.hidden = !refused.length;
    });
  }

  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () { check(input); });
    if (input.form) {  // a tap on "send" while a photo is still being made smaller waits for it
      input.form.addEventListener("submit", function (event) {
        if (input.getAttribute("aria-busy") === "true") {
          event.preventDefault();
          var form = input.form;
          var wait = setInterval(function () {
            if (input.getAttribute("aria-busy") !== "true") { clearInterval(wait); form.requestSubmit ? form.requestSubmit() : form.submit(); }
          }, 100);
        }
      });
    }
  });
}());
