"""The site snippet and the chat widget (static JavaScript, no build step)."""
