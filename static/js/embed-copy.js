/* "Embed": the copy button puts the snippet on the clipboard and says so. */
"use strict";

document.querySelectorAll("button.copy-embed").forEach((button) => {
  const code = document.getElementById(button.dataset.copy);
  const said = button.parentElement.querySelector(".copied");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code.value);
      said.textContent = "Copied";
    } catch {
      code.select();  // no clipboard access: leave it selected for Ctrl+C
      said.textContent = "Press Ctrl+C (or ⌘C) to copy the selected code";
    }
  });
});
