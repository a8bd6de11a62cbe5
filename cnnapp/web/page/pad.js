// The draw pad: dark ink on white, like a pen on paper, drawn with a finger, a pen or the mouse (pointer
// events). `onStroke` runs when a stroke ends, so the page classifies what is on the pad after every stroke.

// The pen's width as a share of the pad: a handwritten digit's stroke is about a tenth of its height.
const INK_WIDTH = 0.075;
const INK = "#111";
const PAPER = "#fff";

export function createPad(canvas, onStroke) {
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let drawing = null; // the pointer drawing now, and where it was
  let inked = false;

  function clear() {
    context.fillStyle = PAPER;
    context.fillRect(0, 0, canvas.width, canvas.height);
    inked = false;
  }

  function at(event) {
    const box = canvas.getBoundingClientRect();
    return [
      ((event.clientX - box.left) / box.width) * canvas.width,
      ((event.clientY - box.top) / box.height) * canvas.height,
    ];
  }

  function lineTo(point) {
    context.beginPath();
    context.moveTo(...drawing.last);
    context.lineTo(...point);
    context.stroke();
    drawing.last = point;
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    context.strokeStyle = INK;
    context.lineWidth = INK_WIDTH * canvas.width;
    context.lineCap = "round";
    context.lineJoin = "round";
    drawing = { id: event.pointerId, last: at(event) };
    lineTo(drawing.last); // a tap leaves a dot
    inked = true;
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing || event.pointerId !== drawing.id) return;
    // Coalesced events: the points a fast finger passed between two frames, so curves stay round.
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const each of events.length ? events : [event]) lineTo(at(each));
  });
  for (const name of ["pointerup", "pointercancel"]) {
    canvas.addEventListener(name, (event) => {
      if (!drawing || event.pointerId !== drawing.id) return;
      drawing = null;
      onStroke();
    });
  }

  clear();
  return { clear, isBlank: () => !inked };
}
