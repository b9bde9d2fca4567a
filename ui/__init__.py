"""The Gradio web app (ui.app) and its pure HTML rendering helpers (ui.render)."""
