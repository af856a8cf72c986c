// The pages' only script, served from this site (the Content-Security-Policy allows no inline
// script). A page that shows a summary of problems, or of a bulk action's outcome, moves the
// keyboard focus there so that a screen reader announces it; the later one wins, as the inline
// scripts this replaces did.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["error-summary", "bulk-summary", "check-summary"]) {
    const el = document.getElementById(id);
    if (el) el.focus();
  }
});

// The queue's bulk actions appear once a case is ticked; without script they are always there.
document.addEventListener("DOMContentLoaded", () => {
  const actions = document.getElementById("bulk-actions");
  if (!actions) return;
  const boxes = [...document.querySelectorAll('#bulk-form input[name="case_id"]')];
  const hint = document.getElementById("bulk-hint");
  const count = document.getElementById("bulk-count");
  const update = () => {
    const ticked = boxes.filter((box) => box.checked).length;
    actions.hidden = ticked === 0;
    hint.hidden = ticked > 0;
    count.textContent = ticked ? `${ticked} selected` : "";
  };
  for (const box of boxes) box.addEventListener("change", update);
  update();
});
