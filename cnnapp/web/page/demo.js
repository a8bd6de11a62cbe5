// The page's logic: load the model with MediaPipe Tasks (vendored, CPU); classify the draw pad, a camera
// frame (read continuously), or a picked or dropped picture; apply the export's refusal rule, so that
// "not a digit" is said as such.
import { FilesetResolver, ImageClassifier } from "./vendor/tasks-vision/vision_bundle.mjs";
import { createPad } from "./pad.js";
import { createNumberReader } from "./number.js";

const TOP = 5;
const $ = (id) => document.getElementById(id);
const status = $("status");
const answer = $("answer");
const results = $("results");
const preview = $("preview");
const video = $("camera");
const frame = document.createElement("canvas"); // the camera's centre square, as classified
let classifier = null;
let numberReader = null; // "Read a number": the ink map, then the classifier on each digit (number.js)
let numberMode = false;
let facts = null;

function say(text, isError = false) {
  status.textContent = text;
  status.className = isError ? "error" : "";
}

function percent(x) {
  return `${(100 * x).toFixed(1)}%`;
}

function threshold(x) {
  return `${+(100 * x).toFixed(1)}%`; // 50%, not 50.0%
}

// "not a digit" for a digits model; a model of other classes says "none of its classes".
function refusedName() {
  const digits = facts.labels.every((l) => /^[0-9]$/.test(l) || l === facts.refusal.label);
  return digits ? "not a digit" : "none of its classes";
}

function shownName(category) {
  const name = category.categoryName || category.displayName || `class ${category.index}`;
  return name === facts.refusal.label ? `${refusedName()} (${name})` : name;
}

function describe() {
  const size = `${(facts.bytes / 1024).toFixed(0)} KiB`;
  return [facts.quantization, size, `${facts.input.shape.slice(0, 2).join("×")} ${facts.input.type} input`]
    .join(" · ");
}

// What the accuracy number was measured on: the export's own test split, named after the training data.
function measured() {
  const trained = facts.trained_on ? ` Trained: ${facts.trained_on}` : "";
  if (!facts.accuracy) return `No test accuracy in this export's report.${trained}`;
  const { top1, images, split } = facts.accuracy;
  return `Top-1 ${percent(top1)} on the ${images} held-out ${split} images of its training data, `
    + `through LiteRT.${trained}`;
}

// The world evaluation: digits as people have them (on paper, in photos) and frames with none, read by
// MediaPipe; each set's share of right answers.
function world() {
  const { dataset, scores } = facts.world;
  const sets = scores.map((s) => `${s.name} ${Number(s.percent).toFixed(1)}%`).join(" · ");
  return `As people have digits, read by MediaPipe${dataset ? ` on the ${dataset}` : ""}: ${sets}.`;
}

// The refusal rule as this page applies it, from the export's report, or the page's default.
function ruleText() {
  const { label, min_score: minScore, source } = facts.refusal;
  const under = `a top score under ${threshold(minScore)}`;
  if (source === null) {
    return `This model has no refusal rule in its export: the page calls ${under} “${refusedName()}”.`;
  }
  const top = label === null ? "" : `the top class “${label}”, or `;
  const name = refusedName();
  return `“${name[0].toUpperCase()}${name.slice(1)}” means ${top}${under}: the export's rule.`;
}

// The page's answer for the scores the model gave: one class, or refused (with why).
function verdict(categories) {
  const best = categories[0];
  const { label, min_score: minScore } = facts.refusal;
  if (!best) return { refused: true, why: "the model gave no scores" };
  if (label !== null && best.categoryName === label) {
    return { refused: true, why: `the model's top class is “${label}” (${percent(best.score)})` };
  }
  if (best.score < minScore) {
    return {
      refused: true,
      why: `its best guess, ${shownName(best)}, scored ${percent(best.score)}, under ${threshold(minScore)}`,
    };
  }
  return { refused: false, label: best.categoryName, score: best.score };
}

async function loadModel() {
  facts = await (await fetch("model.json")).json();
  $("model-name").textContent = facts.name;
  document.title = `${facts.name}: draw or show a digit`;
  $("facts").textContent = describe();
  $("measured").textContent = measured();
  if (facts.world) {
    $("world").textContent = world();
    $("world").hidden = false;
  }
  $("rule").textContent = ruleText();
  if (facts.refusal.label === null) {
    $("works-else").textContent = "This model has no “not a digit” class: anything else may still be read as "
      + `a digit, unless its top score is under ${threshold(facts.refusal.min_score)}.`;
  }
  $("credits").textContent = facts.credits || "The export names no training data or licence.";
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
  numberReader = await createNumberReader(fileset, "inkmap.tflite", classifier, facts.input.shape);
  // The browser test reads photos here and in Python and compares: the same glue, the same answer.
  window.cnnappReadNumber = async (url) => {
    const bitmap = await createImageBitmap(await (await fetch(url)).blob());
    const reading = numberReader.read(bitmap);
    bitmap.close();
    return reading;
  };
  for (const id of ["choose", "photo", "live", "draw", "classify-pad", "number-mode"]) $(id).disabled = false;
  say("Ready: draw a digit, or show one to the camera.");
}

function show(categories, milliseconds, source) {
  results.replaceChildren(
    ...categories.map((c) => {
      const item = document.createElement("li");
      item.dataset.label = c.categoryName; // the label as the file names it (shown: "not a digit (none)")
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = shownName(c);
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
  const result = verdict(categories);
  answer.dataset.verdict = result.refused ? "none" : "class";
  answer.dataset.label = result.refused ? "" : result.label;
  answer.textContent = result.refused
    ? refusedName()[0].toUpperCase() + refusedName().slice(1)
    : `${result.label} (${percent(result.score)})`;
  results.dataset.source = source;
  results.dataset.state = "done";
  results.dataset.count = Number(results.dataset.count || 0) + 1; // answers so far: a test waits on it
  const time = `classified in ${milliseconds.toFixed(1)} ms on this device`;
  say(result.refused ? `${refusedName()}: ${result.why}; ${time}.` : `${answer.textContent}, ${time}.`);
}

// "Read a number": the whole frame's digits, left to right, "?" for a digit the classifier refuses.
function readNumber(image, source) {
  const start = performance.now();
  const reading = numberReader.read(image);
  const milliseconds = performance.now() - start;
  results.replaceChildren(
    ...reading.digits.map((d) => {
      const item = document.createElement("li");
      item.dataset.label = d.label;
      item.textContent = `${d.label === "?" ? "? (not sure)" : d.label}  ${percent(d.score)}`;
      return item;
    }),
  );
  answer.dataset.verdict = "number";
  answer.dataset.label = reading.number;
  answer.textContent = reading.number || "No number";
  results.dataset.source = source;
  results.dataset.state = "done";
  results.dataset.count = Number(results.dataset.count || 0) + 1;
  say(`${reading.number || reading.note}; read in ${milliseconds.toFixed(1)} ms on this device.`);
}

function classify(image, source) {
  if (numberMode) return readNumber(image, source);
  const start = performance.now();
  const result = classifier.classify(image);
  const milliseconds = performance.now() - start;
  show(result.classifications[0]?.categories ?? [], milliseconds, source);
}

// The stage shows one input at a time: the pad, the camera, or a picture.
function showInput(kind) {
  if (kind !== "camera") stopCamera();
  for (const id of ["pad", "pad-buttons"]) $(id).hidden = kind !== "pad";
  $("pad-hint").hidden = kind !== "pad" || !pad.isBlank();
  video.hidden = kind !== "camera";
  $("camera-buttons").hidden = kind !== "camera";
  preview.hidden = kind !== "picture";
}

function forget() {
  results.replaceChildren();
  results.dataset.state = "empty";
  delete results.dataset.source;
  answer.textContent = "";
  delete answer.dataset.verdict;
}

const pad = createPad($("pad"), () => {
  $("pad-hint").hidden = true;
  if (classifier) classify($("pad"), "pad");
});
$("clear").addEventListener("click", () => {
  pad.clear();
  $("pad-hint").hidden = false;
  forget();
  say("Draw one digit, filling most of the square.");
});
$("classify-pad").addEventListener("click", () => classify($("pad"), "pad"));
$("draw").addEventListener("click", () => showInput("pad"));
$("number-mode").addEventListener("click", () => {
  numberMode = !numberMode;
  $("number-mode").setAttribute("aria-pressed", String(numberMode));
  $("number-mode").textContent = numberMode ? "Read one digit" : "Read a number";
  $("pad-hint").textContent = numberMode ? "Write a number here" : "Draw one digit here";
  forget();
  say(numberMode ? "Write a number of up to 12 digits in a row, or show one to the camera." : "Draw one digit.");
});

function refuse(file, why) {
  forget();
  results.dataset.source = file.name;
  results.dataset.state = "refused";
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
  showInput("picture");
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  preview.alt = `the picture ${file.name}`;
  // Small pictures (32×32 digits) are magnified as crisp pixels; photos are scaled smoothly.
  preview.style.imageRendering = bitmap.width < 128 ? "pixelated" : "auto";
  classify(bitmap, file.name);
  bitmap.close();
}

function onPick(event) {
  const [file] = event.target.files;
  if (file) classifyFile(file);
  event.target.value = ""; // picking the same file again still fires `change`
}

// Drag and drop anywhere on the page; the stage highlights.
const stage = $("stage");
for (const name of ["dragenter", "dragover"]) {
  document.addEventListener(name, (event) => {
    event.preventDefault();
    stage.classList.add("over");
  });
}
document.addEventListener("dragleave", () => stage.classList.remove("over"));
document.addEventListener("drop", (event) => {
  event.preventDefault();
  stage.classList.remove("over");
  const [file] = event.dataTransfer?.files ?? [];
  if (file) classifyFile(file);
});
$("choose").addEventListener("change", onPick);
$("photo").addEventListener("change", onPick);

// The live camera: browsers allow getUserMedia only on localhost and HTTPS pages. Without it, or when
// permission is refused, the page says so and points at the file picker (which opens the camera app).
const READ_EVERY_MS = 300; // about three answers a second: live enough to aim, cheap on a phone's battery
let stream = null;
let reading = null;

function readFrame() {
  if (!stream || !video.videoWidth) return; // no frame yet: the next tick reads one
  try {
    classify(numberMode ? video : cameraSquare(), "camera"); // a number reads the whole frame
  } catch (error) {
    say(`Could not read the camera frame: ${error.message}`, true);
  }
}

// Read the frame continuously, or pause: the frame freezes and its answer stays.
function keepReading(on) {
  clearInterval(reading);
  reading = on ? setInterval(readFrame, READ_EVERY_MS) : null;
  $("snap").textContent = on ? "Pause" : "Resume";
  if (on) video.play();
  else video.pause();
  readFrame();
}

function stopCamera() {
  clearInterval(reading);
  reading = null;
  if (!stream) return;
  for (const track of stream.getTracks()) track.stop();
  stream = null;
}

function noCamera(reason, why) {
  const note = $("camera-note");
  note.textContent = `${why}: take a photo or choose a picture instead.`;
  note.dataset.reason = reason;
  note.hidden = false;
}

async function startCamera() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch (error) {
    const refused = error.name === "NotAllowedError";
    const why = refused ? "Camera permission was refused" : `No camera (${error.message})`;
    noCamera(refused ? "refused" : "failed", why);
    $("photo").focus();
    return;
  }
  $("camera-note").hidden = true;
  forget();
  showInput("camera");
  video.srcObject = stream;
  await video.play();
  keepReading(true);
  $("snap").focus();
}

// The centre square of the frame (what the stage shows), so the model sees the digit unstretched.
function cameraSquare() {
  const side = Math.min(video.videoWidth, video.videoHeight);
  frame.width = frame.height = side;
  const context = frame.getContext("2d");
  const [left, top] = [(video.videoWidth - side) / 2, (video.videoHeight - side) / 2];
  context.drawImage(video, left, top, side, side, 0, 0, side, side);
  return frame;
}

if (window.isSecureContext && navigator.mediaDevices?.getUserMedia) {
  $("live").addEventListener("click", startCamera);
  $("snap").addEventListener("click", () => keepReading(reading === null));
} else {
  $("live").hidden = true;
  noCamera("unavailable", "This browser offers no live camera here (it needs HTTPS or localhost)");
}

loadModel().catch((error) => say(`Could not load the model: ${error.message}`, true));
