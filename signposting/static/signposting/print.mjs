// The print page works without JavaScript (people use the browser's Print); with it, a button.
for (const button of document.querySelectorAll(".lsm-print-button")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
