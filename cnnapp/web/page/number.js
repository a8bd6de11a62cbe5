// The number reader's glue for the page: the same steps and constants as cnnapp/number/glue.py (read its
// docstring); the browser test reads the same photos here and in Python and compares the numbers.
//   const reader = await createNumberReader(fileset, "inkmap.tflite", classifier, [40, 40]);
//   const reading = reader.read(imageOrCanvas);   // {number: "2026", digits: [{label, score, box}], note}

import { ImageSegmenter } from "./vendor/tasks-vision/vision_bundle.mjs";

export const HEIGHT = 240, WIDTH = 320;
const THRESHOLD = 0.35, MIN_AREA = 12, MERGE_OVERLAP = 0.5, STACKED = 0.25, SMALL_HEIGHT = 0.3, SMALL_AREA = 0.04;
const MAX_DIGITS = 12, SPLIT_ASPECT = 1.0, MAX_ASPECT = 1.5, PIECE_MIN = 0.25, PIECE_MAX = 1.05, CUT_WINDOW = 0.05;
const NONE_SCORE = 0.05, BOX = 20 / 28;
const NONE = "none", MIN_SCORE = 0.5, REFUSED = "?";

class NotANumber extends Error {
  constructor(count) { super(`${count} marks`); this.count = count; }
}

// Any image → a WIDTH×HEIGHT canvas: padded to 4:3 with its border's mean colour, then scaled (bilinear).
export function fitFrame(source) {
  const w = source.naturalWidth || source.videoWidth || source.width;
  const h = source.naturalHeight || source.videoHeight || source.height;
  const raw = document.createElement("canvas");
  raw.width = w; raw.height = h;
  const rawContext = raw.getContext("2d", { willReadFrequently: true });
  rawContext.drawImage(source, 0, 0);
  const pixels = rawContext.getImageData(0, 0, w, h).data;
  const sum = [0, 0, 0];
  let n = 0;
  const add = (x, y) => { const i = 4 * (y * w + x); for (let c = 0; c < 3; c++) sum[c] += pixels[i + c]; n++; };
  for (let x = 0; x < w; x++) { add(x, 0); add(x, h - 1); }
  for (let y = 0; y < h; y++) { add(0, y); add(w - 1, y); }
  const fill = sum.map((s) => Math.round(s / n));
  const tw = Math.max(w, Math.round(h * WIDTH / HEIGHT)), th = Math.max(h, Math.round(w * HEIGHT / WIDTH));
  const padded = document.createElement("canvas");
  padded.width = tw; padded.height = th;
  const p = padded.getContext("2d");
  p.fillStyle = `rgb(${fill[0]}, ${fill[1]}, ${fill[2]})`;
  p.fillRect(0, 0, tw, th);
  p.drawImage(raw, Math.floor((tw - w) / 2), Math.floor((th - h) / 2));
  if (tw === WIDTH && th === HEIGHT) return padded;
  const frame = document.createElement("canvas");
  frame.width = WIDTH; frame.height = HEIGHT;
  frame.getContext("2d").drawImage(padded, 0, 0, WIDTH, HEIGHT);
  return frame;
}

// Step 1: 8-connected marks of ink ≥ THRESHOLD (labels 1.. in raster order, as scipy's), small ones dropped.
function findMarks(ink) {
  const labels = new Int32Array(WIDTH * HEIGHT);
  const marks = [];
  let next = 0;
  const stack = [];
  for (let start = 0; start < labels.length; start++) {
    if (labels[start] || ink[start] < THRESHOLD) continue;
    next++;
    labels[start] = next;
    stack.push(start);
    let area = 0, x0 = WIDTH, y0 = HEIGHT, x1 = 0, y1 = 0;
    while (stack.length) {
      const i = stack.pop(), x = i % WIDTH, y = (i - x) / WIDTH;
      area++;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + 1); y1 = Math.max(y1, y + 1);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const u = x + dx, v = y + dy, j = v * WIDTH + u;
          if (u < 0 || v < 0 || u >= WIDTH || v >= HEIGHT || labels[j] || ink[j] < THRESHOLD) continue;
          labels[j] = next;
          stack.push(j);
        }
      }
    }
    if (area >= MIN_AREA) marks.push({ x0, y0, x1, y1, marks: [next], area });
  }
  return { labels, marks };
}

const join = (a, b) => ({
  x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1),
  marks: [...a.marks, ...b.marks], area: a.area + b.area,
});

// Step 2: marks that share columns are one digit.
function merge(marks) {
  let merged = true;
  while (merged) {
    merged = false;
    marks.sort((a, b) => a.x0 - b.x0 || a.y0 - b.y0);
    outer: for (let i = 0; i < marks.length; i++) {
      for (let j = i + 1; j < marks.length; j++) {
        const a = marks[i], b = marks[j];
        const overlap = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
        const rows = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
        const stacked = overlap >= 0 && rows <= STACKED * Math.min(a.y1 - a.y0, b.y1 - b.y0);
        if (overlap >= MERGE_OVERLAP * Math.min(a.x1 - a.x0, b.x1 - b.x0) || stacked) {
          marks[i] = join(a, b);
          marks.splice(j, 1);
          merged = true;
          break outer;
        }
      }
    }
  }
  return marks;
}

// Steps 1–3.
function digitMarks(ink) {
  const { labels, marks } = findMarks(ink);
  let groups = merge(marks);
  if (groups.length) {
    const tallest = Math.max(...groups.map((g) => g.y1 - g.y0)), largest = Math.max(...groups.map((g) => g.area));
    groups = groups.filter((g) => g.y1 - g.y0 >= SMALL_HEIGHT * tallest && g.area >= SMALL_AREA * largest);
  }
  if (groups.length > MAX_DIGITS) throw new NotANumber(groups.length);
  return { labels, groups };
}

const owns = (piece, label) => piece.marks.includes(label);
// Python's round(): halves to even.
function pyRound(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// Columns a:b of a mark as a piece, its box shrunk to its rows of ink (glue._cut); null when blank.
function cut(piece, own, a, b) {
  let top = -1, bottom = -1, area = 0;
  for (let y = 0; y < piece.y1 - piece.y0; y++) {
    let any = false;
    for (let x = a; x < b; x++) if (own(x, y)) { any = true; area++; }
    if (any) { if (top < 0) top = y; bottom = y; }
  }
  if (top < 0) return null;
  return { x0: piece.x0 + a, y0: piece.y0 + top, x1: piece.x0 + b, y1: piece.y0 + bottom + 1, marks: piece.marks, area };
}

// 0, the candidate cut columns (step 4) and the width (glue._cut_columns).
function cutColumns(columns, height) {
  const reach = Math.max(1, pyRound(CUT_WINDOW * height)), width = columns.length;
  const cuts = [0];
  for (let x = 1; x < width; x++) {
    let least = Infinity;
    for (let u = Math.max(0, x - reach); u <= Math.min(width - 1, x + reach); u++) least = Math.min(least, columns[u]);
    if (columns[x] === least && (columns[x] < columns[x - 1] || x - cuts[cuts.length - 1] > reach)) cuts.push(x);
  }
  cuts.push(width);
  return cuts;
}

// Step 4: the pieces of a wide mark, [[piece, label, score]] whose scores' product is highest; null if no cut fits.
function split(piece, ink, labels, classify, size) {
  const width = piece.x1 - piece.x0, height = piece.y1 - piece.y0;
  const own = (x, y) => owns(piece, labels[(piece.y0 + y) * WIDTH + piece.x0 + x]);
  const columns = new Array(width).fill(0);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (own(x, y)) columns[x]++;
  const cuts = cutColumns(columns, height), last = cuts.length - 1;
  const best = new Array(last + 1).fill(null);
  best[0] = [0, []];
  for (let j = 1; j <= last; j++) {
    for (let i = 0; i < j; i++) {
      const w = cuts[j] - cuts[i], widest = i === 0 && j === last ? MAX_ASPECT : PIECE_MAX;
      if (best[i] === null || !(PIECE_MIN * height <= w && w <= widest * height)) continue;
      const p = cut(piece, own, cuts[i], cuts[j]);
      if (p === null) continue;
      const [label, score] = classify(crop(ink, labels, p, size));
      const total = best[i][0] + Math.log(Math.max(label === NONE ? NONE_SCORE : score, 1e-6));
      if (best[j] === null || total > best[j][0]) best[j] = [total, [...best[i][1], [p, label, score]]];
    }
  }
  return best[last] === null ? null : best[last][1];
}

// [size × length] area weights (glue._area_weights).
function areaWeights(size, length, offset, scale) {
  const w = new Float64Array(size * length);
  for (let u = 0; u < size; u++) {
    for (let c = 0; c < length; c++) {
      const cover = Math.min(u * scale + scale, c + offset + 1) - Math.max(u * scale, c + offset);
      w[u * length + c] = Math.max(cover, 0) / scale;
    }
  }
  return w;
}

// Step 6: the piece's ink, MNIST-framed, size×size in 0–255.
export function crop(ink, labels, piece, size) {
  const h = piece.y1 - piece.y0, w = piece.x1 - piece.x0;
  const values = new Float64Array(h * w);
  let total = 0, sy = 0, sx = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (piece.y0 + y) * WIDTH + piece.x0 + x, label = labels[i];
      const v = label === 0 || owns(piece, label) ? ink[i] : 0;
      values[y * w + x] = v;
      total += v; sy += v * (y + 0.5); sx += v * (x + 0.5);
    }
  }
  const cy = total > 0 ? sy / total : h / 2, cx = total > 0 ? sx / total : w / 2;
  const side = Math.max(h, w) / BOX, scale = side / size;
  const wy = areaWeights(size, h, side / 2 - cy, scale), wx = areaWeights(size, w, side / 2 - cx, scale);
  const rows = new Float64Array(size * w);  // wy @ values
  for (let u = 0; u < size; u++) for (let y = 0; y < h; y++) {
    const k = wy[u * h + y];
    if (k) for (let x = 0; x < w; x++) rows[u * w + x] += k * values[y * w + x];
  }
  const out = new Float32Array(size * size);
  for (let u = 0; u < size; u++) for (let v = 0; v < size; v++) {
    let s = 0;
    for (let x = 0; x < w; x++) s += rows[u * w + x] * wx[v * w + x];
    out[u * size + v] = s * 255;
  }
  return out;
}

// Steps 4–5: every digit (piece, label, score), left to right; classify(crop) → [label, score].
export function readDigits(ink, classify, size) {
  const { labels, groups } = digitMarks(ink);
  const found = [];
  for (const group of groups) {
    let pieces = null;
    if (group.x1 - group.x0 > SPLIT_ASPECT * (group.y1 - group.y0)) pieces = split(group, ink, labels, classify, size);
    if (pieces && pieces.length) found.push(...pieces);
    else found.push([group, ...classify(crop(ink, labels, group, size))]);
  }
  if (found.length > MAX_DIGITS) throw new NotANumber(found.length);
  found.sort((a, b) => (a[0].x0 + a[0].x1) - (b[0].x0 + b[0].x1));
  return found;
}

export const answer = (label, score) => (label === NONE || score < MIN_SCORE || !/^[0-9]$/.test(label) ? REFUSED : label);

// A crop (size×size, 0–255) as the RGB ImageData the classifier takes: grey rounded like numpy's.
function cropImage(values, size) {
  const image = new ImageData(size, size);
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(255, Math.max(0, Math.round(values[i])));  // numpy rounds halves to even; crops are never exact halves in practice
    image.data.set([v, v, v, 255], 4 * i);
  }
  return image;
}

export async function createNumberReader(fileset, inkmapPath, classifier, inputShape) {
  const segmenter = await ImageSegmenter.createFromOptions(fileset, {
    baseOptions: { modelAssetPath: inkmapPath, delegate: "CPU" },
    runningMode: "IMAGE",
    outputConfidenceMasks: true,
    outputCategoryMask: false,
  });
  const size = inputShape[0];
  const classify = (values) => {
    const top = classifier.classify(cropImage(values, size)).classifications[0].categories[0];
    return [top.categoryName, top.score];
  };
  return {
    read(source) {
      const frame = fitFrame(source);
      const result = segmenter.segment(frame);
      const ink = result.confidenceMasks[1].getAsFloat32Array().slice();
      result.close();
      try {
        const found = readDigits(ink, classify, size);
        const digits = found.map(([p, label, score]) => ({ label: answer(label, score), score, box: [p.x0, p.y0, p.x1, p.y1] }));
        return { number: digits.map((d) => d.label).join(""), digits, note: digits.length ? "" : "no digits in the frame" };
      } catch (error) {
        if (error instanceof NotANumber) {
          return { number: "", digits: [], note: `not a number: ${error.count} marks (a number has at most ${MAX_DIGITS})` };
        }
        throw error;
      }
    },
  };
}
