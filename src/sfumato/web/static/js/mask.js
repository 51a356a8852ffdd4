// The studio's input image, and the mask painted on it in the browser (brush, eraser, size, clear). The
// picture comes from the file field (chosen, dropped or pasted: each lands in the field) or from one of the
// key's images ("Use as input": its id in the hidden field). The mask goes with the form as a PNG the size
// of the picture: opaque black is kept, transparent (where it was painted) is redrawn.

export function inputImage(form) {
  const file = form.querySelector("[data-image-file]");
  const imageId = form.querySelector("[data-image-id]");
  const view = form.querySelector("[data-input-view]");
  const picture = form.querySelector("[data-input-picture]");
  const canvas = form.querySelector("[data-mask]");
  const size = form.querySelector("[data-brush-size]");
  const paint = canvas.getContext("2d");
  let painted = false;
  let drawing = false;
  let last = null;
  let objectUrl = null;

  const fit = () => {  // once the picture is in: the mask takes its size, empty, and can be painted
    canvas.width = picture.naturalWidth || 1;
    canvas.height = picture.naturalHeight || 1;
    painted = false;
    view.hidden = false;
  };
  picture.addEventListener("load", fit);
  if (picture.complete && picture.naturalWidth) fit();

  const show = (src) => {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = src.startsWith("blob:") ? src : null;
    view.hidden = true;
    picture.src = src;
  };

  const use = (chosen) => {  // a file dropped or pasted: into the field, as if chosen
    const carrier = new DataTransfer();
    carrier.items.add(chosen);
    file.files = carrier.files;
    file.dispatchEvent(new Event("change", { bubbles: true }));
  };

  file.addEventListener("change", () => {
    if (!file.files.length) return;
    imageId.value = "";
    show(URL.createObjectURL(file.files[0]));
  });

  form.querySelector("[data-image-remove]").addEventListener("click", () => {
    file.value = "";
    imageId.value = "";
    view.hidden = true;
    picture.removeAttribute("src");
    painted = false;
  });

  form.querySelector("[data-mask-clear]").addEventListener("click", () => {
    paint.clearRect(0, 0, canvas.width, canvas.height);
    painted = false;
  });

  const erasing = () => form.querySelector("[data-mask-tool]:checked")?.value === "eraser";
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    const scale = canvas.width / box.width;
    return { x: (event.clientX - box.left) * scale, y: (event.clientY - box.top) * scale, scale };
  };
  const stroke = (event) => {
    const point = at(event);
    paint.globalCompositeOperation = erasing() ? "destination-out" : "source-over";
    paint.strokeStyle = paint.fillStyle = "#ff2d55";
    paint.lineCap = paint.lineJoin = "round";
    paint.lineWidth = Number(size.value) * point.scale;
    paint.beginPath();
    if (last) {
      paint.moveTo(last.x, last.y);
      paint.lineTo(point.x, point.y);
      paint.stroke();
    } else {
      paint.arc(point.x, point.y, paint.lineWidth / 2, 0, Math.PI * 2);
      paint.fill();
    }
    last = point;
    if (!erasing()) painted = true;
  };
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    last = null;
    canvas.setPointerCapture(event.pointerId);
    stroke(event);
  });
  canvas.addEventListener("pointermove", (event) => { if (drawing) stroke(event); });
  for (const end of ["pointerup", "pointercancel"]) {
    canvas.addEventListener(end, () => { drawing = false; last = null; });
  }

  const hasImage = () => !view.hidden && (file.files.length > 0 || imageId.value !== "");

  // The mask as the API reads it, or null when nothing is painted (the whole picture is redrawn).
  const mask = () => new Promise((resolve) => {
    if (!painted || !hasImage()) {
      resolve(null);
      return;
    }
    const out = document.createElement("canvas");
    out.width = canvas.width;
    out.height = canvas.height;
    const draw = out.getContext("2d");
    draw.fillStyle = "#000";
    draw.fillRect(0, 0, out.width, out.height);
    draw.globalCompositeOperation = "destination-out";
    draw.drawImage(canvas, 0, 0);
    out.toBlob(resolve, "image/png");
  });

  // What the chosen model takes: an input image at all, and a mask on it (the server refuses the others).
  let masks = true;
  const allow = ({ image, mask: takesMask }) => {
    const fieldset = form.querySelector("[data-image-in]");
    fieldset.disabled = !image;
    form.querySelector("[data-image-off]").hidden = image;
    masks = takesMask;
    canvas.hidden = !takesMask;
    form.querySelector("[data-mask-tools]").hidden = !takesMask;
  };

  return { use, mask: () => (masks ? mask() : Promise.resolve(null)), hasImage, allow };
}
