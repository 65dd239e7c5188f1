"""Tables of the system of record. Times are UTC epoch seconds (float) on both databases.

JSON documents (profiles, event properties) are stored as text encoded by msgspec: it is
the same on SQLite and PostgreSQL and several times faster than the ORM's JSON type.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from floorwalker.store.base import BigIntPK, metadata

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("settings", Text, nullable=False, default="{}"),
    Column("created_at", Float, nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("domain", String(255), nullable=True),
    Column("write_key", String(80), nullable=False, unique=True),
    Column("server_key_hash", String(64), nullable=False, unique=True),
    Column("identity_secret", String(80), nullable=False),
    Column("created_at", Float, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    # NULL workspace: an instance token, which manages workspaces and nothing inside them.
    Column("workspace_id", String(40), ForeignKey("workspaces.id", ondelete="CASCADE"),
           nullable=True, index=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

visitors = Table(
    "visitors",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), nullable=False),
    Column("user_id", String(255), nullable=True),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("visit_count", Integer, nullable=False, default=0),
    Column("is_customer", Boolean, nullable=False, default=False),
    Column("lifetime_revenue", Float, nullable=False, default=0.0),
    Column("profile", Text, nullable=False),
    UniqueConstraint("workspace_id", "user_id", name="uq_visitors_workspace_user"),
    Index("ix_visitors_workspace_last_seen", "workspace_id", "last_seen"),
)

identities = Table(
    "identities",
    metadata,
    Column("workspace_id", String(40), primary_key=True),
    Column("kind", String(8), primary_key=True),  # "anon" or "user"
    Column("value", String(255), primary_key=True),
    Column("visitor_id", String(40), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("workspace_id", String(40), nullable=False),
    Column("site_id", String(40), nullable=False),
    Column("visitor_id", String(40), nullable=False),
    Column("message_id", String(255), nullable=False),
    Column("type", String(16), nullable=False),
    Column("name", String(255), nullable=False),
    Column("ts", Float, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("properties", Text, nullable=False),
    Column("context", Text, nullable=False),
    UniqueConstraint("workspace_id", "message_id", name="uq_events_workspace_message"),
    Index("ix_events_visitor_ts", "visitor_id", "ts"),
    Index("ix_events_received_at", "received_at"),
)

lookup_tables = Table(
    "lookup_tables",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id", ondelete="CASCADE"),
           nullable=False),
    Column("name", String(64), nullable=False),
    Column("key_field", String(64), nullable=False),
    Column("row_count", Integer, nullable=False, default=0),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("workspace_id", "name", name="uq_lookup_tables_workspace_name"),
)

lookup_rows = Table(
    "lookup_rows",
    metadata,
    Column("table_id", String(40), ForeignKey("lookup_tables.id", ondelete="CASCADE"),
           primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("data", Text, nullable=False),
)

# -- rules: segments, scenarios, staffing, decisions, timers ---------------------------

segments = Table(
    "segments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id", ondelete="CASCADE"),
           nullable=False),
    Column("key", String(64), nullable=False),
    Column("definition", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("workspace_id", "key", name="uq_segments_workspace_key"),
)

scenarios = Table(
    "scenarios",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id", ondelete="CASCADE"),
           nullable=False),
    Column("key", String(64), nullable=False),
    Column("definition", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("workspace_id", "key", name="uq_scenarios_workspace_key"),
)

departments = Table(
    "departments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id", ondelete="CASCADE"),
           nullable=False),
    Column("key", String(64), nullable=False),
    Column("definition", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("workspace_id", "key", name="uq_departments_workspace_key"),
)

agents = Table(
    "agents",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("email", String(255), nullable=False),
    Column("definition", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("workspace_id", "email", name="uq_agents_workspace_email"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), nullable=False),
    Column("visitor_id", String(40), nullable=False),
    Column("scenario_key", String(64), nullable=False),
    Column("variant", String(64), nullable=True),
    # fired | fallback | suppressed
    Column("outcome", String(16), nullable=False),
    Column("reason", String(64), nullable=True),
    Column("action_type", String(32), nullable=True),
    Column("payload", Text, nullable=True),
    Column("trigger", String(255), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("delivered_at", Float, nullable=True),
    # shown | dismissed | accepted | replied
    Column("response", String(16), nullable=True),
    Column("responded_at", Float, nullable=True),
    # The visitor's segments when it was decided, ",a,b," (report filters; migration 0010).
    Column("segments", Text, nullable=True),
    # The first conversation it started, and that conversation's first agent answer
    # (migration 0011: the funnel's chats and answered stages without a join).
    Column("chat_at", Float, nullable=True),
    Column("answered_at", Float, nullable=True),
    Index("ix_decisions_visitor_created", "visitor_id", "created_at"),
    Index("ix_decisions_workspace_created", "workspace_id", "created_at"),
)

# The funnel's counts per UTC day, kept by every write to ``decisions`` in the same
# transaction (rules/decisions.py): the funnel report reads these instead of a month of
# decisions. ``variant`` and ``reason`` are '' for none (a key column cannot be NULL);
# ``kind`` is ``decided`` (fired, fallback, withdrawn) or the outcome; ``reason`` is kept
# for suppressed decisions only.
funnel_days = Table(
    "funnel_days",
    metadata,
    Column("workspace_id", String(40), primary_key=True),
    Column("day", Integer, primary_key=True),  # days since 1970-01-01, UTC
    Column("scenario_key", String(64), primary_key=True),
    Column("variant", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("reason", String(64), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("delivered", Integer, nullable=False),
    Column("shown", Integer, nullable=False),
    Column("engaged", Integer, nullable=False),
    Column("chats", Integer, nullable=False),
    Column("answered", Integer, nullable=False),
)

timers = Table(
    "timers",
    metadata,
    # One timer per visitor, scenario and kind: rescheduling overwrites it.
    Column("id", String(160), primary_key=True),
    Column("workspace_id", String(40), nullable=False),
    Column("visitor_id", String(40), nullable=False, index=True),
    Column("scenario_key", String(64), nullable=False),
    Column("due_at", Float, nullable=False, index=True),
    Column("session_id", String(40), nullable=True),
    Column("created_at", Float, nullable=False),
)

# -- chat: conversations and messages -----------------------------------------------------

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), nullable=False),
    Column("visitor_id", String(40), nullable=False, index=True),
    # The browser that started it: without a verified identity a browser sees only its own.
    Column("anonymous_id", String(255), nullable=True),
    Column("status", String(16), nullable=False),  # queued | open | closed
    Column("department", String(64), nullable=True),
    Column("scenario_key", String(64), nullable=True),
    Column("decision_id", String(40), nullable=True),
    Column("context", Text, nullable=True),
    Column("assigned_agent_id", String(40), nullable=True),
    Column("last_seq", Integer, nullable=False, default=0),
    Column("visitor_read_seq", Integer, nullable=False, default=0),
    Column("agent_read_seq", Integer, nullable=False, default=0),
    Column("started_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("closed_at", Float, nullable=True),
    # The post-chat survey: rating 1-5 and the other answers.
    Column("rating", Integer, nullable=True),
    Column("survey", Text, nullable=True),
    # Routing: when it was last queued and assigned (the oldest queued goes first).
    Column("queued_at", Float, nullable=True),
    Column("assigned_at", Float, nullable=True),
    # The assigned agent once they opened or answered the chat; None while the visitor waits.
    Column("joined_agent_id", String(40), nullable=True),
    # The visitor's segments when the chat started, as ",key1,key2," (history filters).
    Column("segments", Text, nullable=True),
    # Kept as messages come (migration 0012), for reports without reading messages: the
    # visitor's first message, the first and the last agent who answered (not notes),
    # the first answer's time and how many agents answered.
    Column("visitor_wrote_at", Float, nullable=True),
    Column("first_agent_id", String(255), nullable=True),
    Column("last_agent_id", String(255), nullable=True),
    Column("first_reply_at", Float, nullable=True),
    Column("agent_count", Integer, nullable=False, default=0),
    # When the visitor last replied by e-mail (migration 0016; history's channel filter).
    Column("email_at", Float, nullable=True),
    Index("ix_conversations_workspace_updated", "workspace_id", "updated_at"),
    Index("ix_conversations_workspace_status", "workspace_id", "status"),
    Index("ix_conversations_workspace_started", "workspace_id", "started_at"),
    Index("ix_conversations_decision", "decision_id"),  # reports: chats a message started
    Index("ix_conversations_updated", "updated_at"),  # mail: the unread-replies scan
)

# Every agent who answered in a conversation (not notes), with their first answer: the
# agents report's "chats they answered in" and its linear credit (migration 0012).
conversation_agents = Table(
    "conversation_agents",
    metadata,
    Column("conversation_id", String(40), primary_key=True),
    Column("agent_id", String(255), primary_key=True),
    Column("workspace_id", String(40), nullable=False),
    Column("first_at", Float, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("conversation_id", String(40), nullable=False),
    Column("workspace_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("author", String(16), nullable=False),  # visitor | agent | system
    Column("author_id", String(255), nullable=True),
    Column("name", String(200), nullable=True),
    Column("text", Text, nullable=False),
    Column("internal", Boolean, nullable=False, default=False),
    # "<author>:<client id>": a resend with the same id is the same message.
    Column("client_id", String(80), nullable=True),
    Column("created_at", Float, nullable=False),
    # A system line's meaning ({"kind": "joined", "name": ...}, JSON) for the widget to word
    # in the visitor's language; ``text`` is the English for agents and transcripts.
    Column("notice", Text, nullable=True),
    # How it came: None for the chat, "email" for a reply by e-mail (migration 0014).
    Column("channel", String(16), nullable=True),
    UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
    # Dedupe of resent messages: per conversation, so visitors never collide.
    UniqueConstraint("conversation_id", "client_id", name="uq_messages_conversation_client"),
)

canned_replies = Table(
    "canned_replies",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("shortcut", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("department", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("workspace_id", "shortcut", name="uq_canned_replies_workspace_shortcut"),
)


# Accounts, their login sessions and their one-time invitations (migration 0005).
accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id", ondelete="CASCADE"),
           nullable=False),
    # The agents row (capacity, departments) of someone who chats; NULL for a pure admin.
    Column("agent_id", String(40), ForeignKey("agents.id", ondelete="SET NULL"),
           nullable=True),
    Column("email", String(255), nullable=False),  # lower-cased
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),  # admin | agent
    # argon2id; NULL until the invitation is accepted.
    Column("password_hash", String(255), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    # Console preferences (watched segments, muted alerts) as JSON.
    Column("preferences", Text, nullable=True),
    UniqueConstraint("workspace_id", "email", name="uq_accounts_workspace_email"),
)

account_sessions = Table(
    "account_sessions",
    metadata,
    # sha256 of the cookie's token: a copy of this table logs nobody in.
    Column("id", String(64), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("last_seen_at", Float, nullable=False),
)

account_invitations = Table(
    "account_invitations",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
)


# -- measure: conversions (migration 0009) ---------------------------------------------

conversions = Table(
    "conversions",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("workspace_id", String(40), nullable=False),
    Column("visitor_id", String(40), nullable=False),
    # The event: ``purchase``, or another a conversion goal names (``sign_up``).
    Column("name", String(255), nullable=False),
    # The order id (transaction_id or order_id), else the event's messageId: a purchase
    # reported twice, by two devices of one person or by a retry, counts once.
    Column("transaction_id", String(255), nullable=False),
    Column("value", Float, nullable=False),
    Column("currency", String(8), nullable=True),
    Column("ts", Float, nullable=False),
    # The segments the person was in as the event came, ",a,b," (filters and baskets).
    Column("segments", Text, nullable=True),
    UniqueConstraint("workspace_id", "visitor_id", "name", "transaction_id",
                     name="uq_conversions_visitor_name_transaction"),
    Index("ix_conversions_visitor_ts", "visitor_id", "ts"),
    Index("ix_conversions_workspace_ts", "workspace_id", "ts"),
)


# E-mails to send (mail/outbox.py): claimed by a conditional UPDATE with a lease, retried
# with backoff; ``message_id`` is fixed when queued, so a resend is the same e-mail.
emails = Table(
    "emails",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), nullable=False),
    Column("kind", String(32), nullable=False),  # unread_replies | ...
    Column("conversation_id", String(40), nullable=True),
    Column("visitor_id", String(40), nullable=True),
    Column("to_address", String(320), nullable=False),
    Column("from_name", String(200), nullable=True),
    # The workspace's own sender address (migration 0017); else FLOORWALKER_MAIL_FROM.
    Column("from_address", String(320), nullable=True),
    Column("subject", String(300), nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=True),
    Column("message_id", String(255), nullable=False),
    Column("in_reply_to", String(255), nullable=True),
    Column("thread_refs", Text, nullable=True),
    Column("reply_to", String(320), nullable=True),
    Column("language", String(8), nullable=True),
    # The one-click unsubscribe link (RFC 8058) of an e-mail to a visitor (migration 0015).
    Column("list_unsubscribe", Text, nullable=True),
    # The conversation's last message seq this e-mail carries.
    Column("through_seq", Integer, nullable=True),
    # queued | sent | failed | bounced | skipped (its address refuses mail)
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", Float, nullable=False),
    Column("claimed_until", Float, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("sent_at", Float, nullable=True),
    UniqueConstraint("message_id", name="uq_emails_message_id"),
    Index("ix_emails_status_next", "status", "next_attempt_at"),
    Index("ix_emails_workspace_created", "workspace_id", "created_at"),
    Index("ix_emails_conversation", "conversation_id"),
)

# Per conversation: the messages up to ``through_seq`` were dealt with by e-mail (sent, or
# ``outcome`` says why not), and the thread's Message-IDs for the next e-mail's headers.
mail_threads = Table(
    "mail_threads",
    metadata,
    Column("conversation_id", String(40), primary_key=True),
    Column("workspace_id", String(40), nullable=False),
    Column("through_seq", Integer, nullable=False),
    # sent | no_address | off | bouncing | unsubscribed
    Column("outcome", String(32), nullable=False),
    Column("last_message_id", String(255), nullable=True),
    Column("thread_refs", Text, nullable=True),
    Column("updated_at", Float, nullable=False),
)

# Addresses that get no more e-mail from a workspace (mail/addresses.py): one that bounced
# for good, or whose owner unsubscribed (migration 0015).
mail_addresses = Table(
    "mail_addresses",
    metadata,
    Column("workspace_id", String(40), primary_key=True),
    Column("address", String(320), primary_key=True),
    Column("status", String(16), nullable=False),  # bouncing | unsubscribed
    Column("reason", Text, nullable=True),
    Column("updated_at", Float, nullable=False),
)
