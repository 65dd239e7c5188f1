"""Sensitive attributes: the one filter for every place a profile leaves the server.

A workspace names its sensitive attributes in its settings; the compiled rule set carries
them (``RuleSet.sensitive``), loaded from the database, so every process and every
restart filters with the same names. Who reads them (docs/identity.md):

- one visitor's profile and timeline, read by an admin token, the site's server key or an
  admin's console session: everything (integrations and data-subject exports need it);
- agents' console sessions: never;
- documents built once for every console (live rows and their frames, conversation
  summaries and their context, CSV exports, transcripts, canned replies): never, whoever
  reads them;
- browsers: never.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

#: Credentials that read sensitive values on one visitor's profile and timeline.
READER_KINDS = frozenset({"token", "server_key", "admin_session"})

# Event property objects that name attributes: ``$set``/``$set_once`` in properties,
# Segment's ``context.traits``.
_NESTED = ("$set", "$set_once")


def hidden_for(sensitive: frozenset[str], *, reader: bool) -> frozenset[str]:
    """The names to remove for a caller: none for a ``reader``, every sensitive one else."""
    return frozenset() if reader else sensitive


def without(values: Mapping[str, Any], hidden: Collection[str]) -> dict[str, Any]:
    """``values`` without the ``hidden`` names."""
    return {k: v for k, v in values.items() if k not in hidden}


def profile_doc(view: dict[str, Any], hidden: Collection[str]) -> dict[str, Any]:
    """A profile document (``profile_view``) without the hidden attributes."""
    if hidden and isinstance(view.get("attributes"), Mapping):
        view["attributes"] = without(view["attributes"], hidden)
    return view


def event_doc(event: dict[str, Any], hidden: Collection[str]) -> dict[str, Any]:
    """A timeline event (``event_view``) without hidden names in its properties, their
    ``$set``/``$set_once`` and its ``context.traits``."""
    if not hidden:
        return event
    props = event.get("properties")
    if isinstance(props, Mapping):
        props = without(props, hidden)
        for key in _NESTED:
            if isinstance(props.get(key), Mapping):
                props[key] = without(props[key], hidden)
        event["properties"] = props
    context = event.get("context")
    if isinstance(context, Mapping) and isinstance(context.get("traits"), Mapping):
        event["context"] = {**context, "traits": without(context["traits"], hidden)}
    return event


def conversation_context(context: Any, sensitive: Collection[str]) -> Any:
    """A conversation's context (the invitation and the event that triggered it) without
    sensitive names in that event's properties: it goes to every console."""
    if not sensitive or not isinstance(context, Mapping):
        return context
    event = context.get("event")
    if isinstance(event, Mapping) and isinstance(event.get("properties"), Mapping):
        return {**context, "event": {**event,
                                     "properties": without(event["properties"], sensitive)}}
    return context
