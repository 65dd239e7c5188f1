"""E-mail: the outbox every e-mail goes through, the SMTP relay, and the e-mails the
product sends (today: an agent's replies a visitor left unread). docs/email.md."""
