"""Conversations, messages and the WebSocket protocol (docs/realtime.md)."""
