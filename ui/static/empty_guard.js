// Runs in the browser before a chat message is sent. An empty message sends nothing: the hint appears
// and the thrown error stops the chain (the Python handler is attached with .success()).
(message) => {
  const hint = document.querySelector("#message-hint");
  if (!message || !message.trim()) {
    if (hint) hint.textContent = __HINT__;
    throw new Error("empty message: nothing sent");
  }
  if (hint) hint.textContent = "";
  return [message];
}
