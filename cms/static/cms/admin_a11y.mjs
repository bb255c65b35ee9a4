// Wagtail's rich text editor (Draftail) draws its text box (role="textbox") with no accessible
// name, so a screen reader says only "edit text". Name each one after its field's label, and keep
// doing so as editors appear (new blocks, panels opened later). See cms/wagtail_hooks.py.

const UNNAMED = '[role="textbox"][contenteditable="true"]:not([aria-label]):not([aria-labelledby])';

function labelFor(box) {
  // A field among others has its own label; a field alone in its panel is named by the panel's
  // heading (the section's aria-labelledby), as Wagtail draws it.
  const wrapper = box.closest("[data-field-wrapper], .w-field__wrapper");
  const own = wrapper && wrapper.querySelector("label, .w-field__label");
  if (own) return own;
  const panel = box.closest("section[data-panel][aria-labelledby]");
  return panel ? document.getElementById(panel.getAttribute("aria-labelledby")) : null;
}

function nameEditors(root) {
  for (const box of root.querySelectorAll(UNNAMED)) {
    const label = labelFor(box);
    if (!label) continue;
    if (label.id) {
      box.setAttribute("aria-labelledby", label.id);
    } else {
      const text = label.textContent.replace(/\*/g, "").trim();
      if (text) box.setAttribute("aria-label", text);
    }
  }
}

nameEditors(document);
new MutationObserver(() => nameEditors(document)).observe(document.body, { childList: true, subtree: true });
