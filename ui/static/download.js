// Save the conversation Markdown in the browser: the export never touches the server's disk.
(markdown) => {
  if (!markdown) return;
  const url = URL.createObjectURL(new Blob([markdown], { type: "text/markdown;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = "continuum-advisor-conversation.md";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}
