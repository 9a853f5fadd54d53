// The pages' one script: help only. Every page works without it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Import review: focusing a finding's row marks its source line in the document's text.
  for (const row of document.querySelectorAll("[data-line]")) {
    const line = document.getElementById("line-" + row.dataset.line);
    if (!line) continue;
    const mark = (on) => line.classList.toggle("current", on);
    row.addEventListener("focusin", () => { mark(true); line.scrollIntoView({ block: "nearest" }); });
    row.addEventListener("focusout", () => mark(false));
  }
  // A refusal needs its reason: say so before sending rather than after.
  for (const button of document.querySelectorAll("button[value=refuse]")) {
    button.addEventListener("click", (event) => {
      const note = button.form.querySelector("textarea[name=note]");
      if (note && !note.value.trim()) {
        event.preventDefault();
        note.setCustomValidity("Ghi lý do không đồng ý: đơn vị sẽ được thông báo.");
        note.reportValidity();
        note.addEventListener("input", () => note.setCustomValidity(""), { once: true });
      }
    });
  }
});
