// One document-level listener per evidence panel. Chips are plain links (<a class="cite" href="#key">)
// because the chatbot's sanitizer strips onclick and data-* attributes; a click on a chip inside this
// panel's tab is turned into the panel's Python .click event with {key}. The previous listener of the same
// scope is removed first, so a re-mounted panel never answers twice.
(() => {
  const scope = __SCOPE__;
  window.__advisorCiteListeners = window.__advisorCiteListeners || {};
  const previous = window.__advisorCiteListeners[scope];
  if (previous) document.removeEventListener("click", previous);
  const onClick = (event) => {
    const target = event.target;
    const chip = target && target.closest ? target.closest("a.cite") : null;
    if (!chip || !chip.closest("#" + scope)) return;
    event.preventDefault();
    trigger("click", { key: (chip.getAttribute("href") || "").replace(/^#/, "") });
  };
  window.__advisorCiteListeners[scope] = onClick;
  document.addEventListener("click", onClick);
})();
