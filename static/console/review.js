// Keyboard shortcuts of the review page. Every element with data-shortcut="<key>" is what the key
// does: a form is submitted, a link followed, a field focused. Without this script the buttons,
// links and fields do the same.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  const typing = event.target.closest("input, textarea, select, [contenteditable]");
  if (typing) {
    if (event.key === "Escape") typing.blur();
    return;
  }
  const target = document.querySelector(`[data-shortcut="${CSS.escape(event.key)}"]`);
  if (!target) return;
  event.preventDefault();
  if (target instanceof HTMLFormElement) target.requestSubmit();
  else if (target instanceof HTMLInputElement) target.focus();
  else target.click();
});
