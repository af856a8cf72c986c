// The pages' only script, served from this site (the Content-Security-Policy allows no inline
// script). The pages work without it; it adds what GOV.UK's own script adds:
// - a page that shows a summary of problems, or of a bulk action's outcome, moves the keyboard
//   focus there so that a screen reader announces it (the page's autofocus does so without
//   script); a link in the error summary moves the focus to its field and shows its label;
// - radios with data-aria-controls show only the chosen option's own questions (without script
//   every option's questions show, each under its heading).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["error-summary", "bulk-summary", "check-summary"]) {
    const el = document.getElementById(id);
    if (el) el.focus();
  }
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      const input = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!input) return;
      event.preventDefault();
      const legend = input.closest("fieldset")?.querySelector("legend");
      const label = document.querySelector(`label[for='${CSS.escape(input.id)}']`);
      (input.type === "radio" && legend ? legend : label || input).scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }
  const controlled = document.querySelectorAll("input[type=radio][data-aria-controls]");
  const sync = () => {
    for (const radio of controlled) {
      const target = document.getElementById(radio.dataset.ariaControls);
      if (!target) continue;
      // GOV.UK also sets aria-expanded; ARIA does not allow it on a radio (axe refuses it).
      target.hidden = !radio.checked;
    }
  };
  for (const radio of controlled) {
    if (document.getElementById(radio.dataset.ariaControls)) {
      radio.setAttribute("aria-controls", radio.dataset.ariaControls);
    }
  }
  const groups = new Set([...controlled].map((r) => r.name));
  for (const name of groups) {
    for (const radio of document.querySelectorAll(`input[type=radio][name='${CSS.escape(name)}']`)) {
      radio.addEventListener("change", sync);
    }
  }
  sync();
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
