// The page's logic: load the model with MediaPipe Tasks (vendored, CPU), classify a picked, dropped or
// camera image, show the top 5 classes from the labels embedded in the model's metadata.
import { FilesetResolver, ImageClassifier } from "./vendor/tasks-vision/vision_bundle.mjs";

const TOP = 5;
const $ = (id) => document.getElementById(id);
const status = $("status");
const results = $("results");
const preview = $("preview");
const video = $("camera");
let classifier = null;

function say(text, isError = false) {
  status.textContent = text;
  status.className = isError ? "error" : "";
}

function percent(x) {
  return `${(100 * x).toFixed(1)}%`;
}

function describe(facts) {
  const size = `${(facts.bytes / 1024).toFixed(0)} KiB`;
  const parts = [facts.quantization, size, `${facts.input.shape.slice(0, 2).join("×")} ${facts.input.type} input`];
  if (facts.accuracy) parts.push(`top-1 ${percent(facts.accuracy.top1)} on ${facts.accuracy.images} test images`);
  return parts.join(" · ");
}

async function loadModel() {
  const facts = await (await fetch("model.json")).json();
  $("model-name").textContent = facts.name;
  document.title = `${facts.name}: classify a picture`;
  $("facts").textContent = describe(facts);
  const fileset = await FilesetResolver.forVisionTasks(new URL("vendor/tasks-vision/wasm", location.href).href);
  classifier = await ImageClassifier.createFromOptions(fileset, {
    // The CPU path (XNNPACK in WebAssembly): it runs on every device, headless test browsers included.
    baseOptions: { modelAssetPath: facts.model, delegate: "CPU" },
    runningMode: "IMAGE",
    maxResults: TOP,
  });
  // One run on a blank frame first, so the time shown for a picture is the model's, not the start-up's.
  const [height, width] = facts.input.shape;
  classifier.classify(new ImageData(width, height));
  for (const id of ["choose", "photo", "live"]) $(id).disabled = false;
  say("Ready: choose or drop a picture.");
}

function show(categories, milliseconds, source) {
  results.replaceChildren(
    ...categories.map((c) => {
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = c.displayName || c.categoryName || `class ${c.index}`;
      const prob = document.createElement("span");
      prob.className = "prob";
      prob.textContent = percent(c.score);
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = percent(c.score);
      bar.setAttribute("aria-hidden", "true");
      item.append(label, prob, bar);
      return item;
    }),
  );
  results.dataset.source = source;
  results.dataset.state = "done";
  const best = categories[0];
  say(`${best ? best.displayName || best.categoryName : "?"} (${percent(best ? best.score : 0)}), `
      + `classified in ${milliseconds.toFixed(1)} ms on this device.`);
}

function classify(image, source) {
  const start = performance.now();
  const result = classifier.classify(image);
  const milliseconds = performance.now() - start;
  show(result.classifications[0]?.categories ?? [], milliseconds, source);
}

function refuse(file, why) {
  results.replaceChildren();
  results.dataset.source = file.name;
  results.dataset.state = "refused";
  preview.style.display = "none";
  say(`${file.name} ${why}: choose a picture (PNG, JPEG, WebP, GIF…).`, true);
}

async function classifyFile(file) {
  if (!classifier) {
    say("The model is still loading: try again in a moment.");
    return;
  }
  if (!file.type.startsWith("image/")) {
    refuse(file, `is not an image (${file.type || "unknown type"})`);
    return;
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    refuse(file, "could not be decoded as an image");
    return;
  }
  stopCamera();
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  preview.alt = `the picture ${file.name}`;
  // Small pictures (32×32 digits) are magnified as crisp pixels; photos are scaled smoothly.
  preview.style.imageRendering = bitmap.width < 128 ? "pixelated" : "auto";
  preview.style.display = "block";
  $("drop-hint").hidden = true;
  classify(bitmap, file.name);
  bitmap.close();
}

function onPick(event) {
  const [file] = event.target.files;
  if (file) classifyFile(file);
  event.target.value = ""; // picking the same file again still fires `change`
}

// Drag and drop anywhere on the page; the drop zone highlights.
const drop = $("drop");
for (const name of ["dragenter", "dragover"]) {
  document.addEventListener(name, (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
}
document.addEventListener("dragleave", () => drop.classList.remove("over"));
document.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  const [file] = event.dataTransfer?.files ?? [];
  if (file) classifyFile(file);
});
drop.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    $("choose").click();
  }
});
$("choose").addEventListener("change", onPick);
$("photo").addEventListener("change", onPick);

// A live camera view: browsers allow getUserMedia only on localhost and HTTPS pages.
let stream = null;
function stopCamera() {
  if (!stream) return;
  for (const track of stream.getTracks()) track.stop();
  stream = null;
  video.style.display = "none";
  $("snap").hidden = true;
}
if (window.isSecureContext && navigator.mediaDevices?.getUserMedia) {
  $("live").hidden = false;
  $("live").addEventListener("click", async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) {
      say(`No camera: ${error.message}. Choose a picture instead.`, true);
      return;
    }
    video.srcObject = stream;
    await video.play();
    preview.style.display = "none";
    $("drop-hint").hidden = true;
    video.style.display = "block";
    $("snap").hidden = false;
    $("snap").focus();
  });
  $("snap").addEventListener("click", () => classify(video, "camera"));
}

loadModel().catch((error) => say(`Could not load the model: ${error.message}`, true));
