// The pages' only script, served from this site (the Content-Security-Policy allows no inline
// script). A page that shows a summary of problems, or of a bulk action's outcome, moves the
// keyboard focus there so that a screen reader announces it; the later one wins, as the inline
// scripts this replaces did.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["error-summary", "bulk-summary"]) {
    const el = document.getElementById(id);
    if (el) el.focus();
  }
});
