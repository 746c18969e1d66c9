// Search-box choice fields (core/lookup.py): picking a result sets the hidden key.
document.addEventListener("click", (event) => {
  const pick = event.target.closest("[data-lookup-pick]");
  if (!pick) return;
  const box = pick.closest(".linli-lookup");
  box.querySelector("[data-lookup-value]").value = pick.dataset.lookupPick;
  box.querySelector("[data-lookup-search]").value = pick.textContent.trim();
  box.querySelector("[data-lookup-results]").replaceChildren();
});
document.addEventListener("input", (event) => {
  // typing again means the earlier choice no longer holds until a new one is picked
  if (event.target.matches("[data-lookup-search]")) {
    event.target.closest(".linli-lookup").querySelector("[data-lookup-value]").value = "";
  }
});
