"""What the e-mails say, in the widget's five languages (keyed: one catalogue per
language, the same keys in each; a test checks they match), and the HTML and plain-text
bodies built from them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader

from floorwalker.texts.i18n import SUPPORTED_UI_LANGUAGES

# Russian strings hold Cyrillic letters that look Latin: meant.
CATALOGUES: dict[str, dict[str, str]] = {
    "en": {
        "subject": "New reply from {agent} ({workspace})",
        "greeting_named": "Hello {name},",
        "greeting": "Hello,",
        "intro": "{agent} answered you in the chat while you were away:",
        "reply_hint": "Reply to this e-mail to answer: your reply reaches {agent} in the "
                      "same conversation.",
        "chat_hint": "To answer, go back to the chat:",
        "chat_hint_no_link": "To answer, open the chat on our website.",
        "footer": "You received this e-mail because you chatted with {workspace}.",
        "our_team": "Our team",
        "transcript_subject": "Your conversation with {workspace}",
        "transcript_intro": "Here is your conversation with {workspace}, as you asked:",
        "transcript_footer": "You received this e-mail because you asked for it in the chat.",
        "you": "You",
        "attachments_refused": "We received your message, but not the files attached to it "
                               "({names}): files sent by e-mail are not kept. If we need them, "
                               "we will ask you for another way to send them.",
        "triggered_footer": "You receive this e-mail because you agreed to hear from {workspace}.",
        "unsubscribe": "No more e-mails like this",
    },
    "fr": {
        "subject": "Nouvelle réponse de {agent} ({workspace})",
        "greeting_named": "Bonjour {name},",
        "greeting": "Bonjour,",
        "intro": "{agent} vous a répondu dans le chat pendant votre absence :",
        "reply_hint": "Répondez à cet e-mail : votre réponse parviendra à {agent} dans la "
                      "même conversation.",
        "chat_hint": "Pour répondre, revenez au chat :",
        "chat_hint_no_link": "Pour répondre, ouvrez le chat sur notre site.",
        "footer": "Vous recevez cet e-mail parce que vous avez discuté avec {workspace}.",
        "our_team": "Notre équipe",
        "transcript_subject": "Votre conversation avec {workspace}",
        "transcript_intro": "Voici votre conversation avec {workspace}, comme demandé :",
        "transcript_footer": "Vous recevez cet e-mail parce que vous l’avez demandé dans le chat.",
        "you": "Vous",
        "attachments_refused": "Nous avons bien reçu votre message, mais pas les fichiers "
                               "joints ({names}) : les fichiers envoyés par e-mail ne sont pas "
                               "conservés. Si nous en avons besoin, nous vous proposerons un "
                               "autre moyen de les envoyer.",
        "triggered_footer": "Vous recevez cet e-mail parce que vous avez accepté d’être "
                            "contacté par {workspace}.",
        "unsubscribe": "Ne plus recevoir ces e-mails",
    },
    "de": {
        "subject": "Neue Antwort von {agent} ({workspace})",
        "greeting_named": "Hallo {name},",
        "greeting": "Hallo,",
        "intro": "{agent} hat Ihnen im Chat geantwortet, während Sie weg waren:",
        "reply_hint": "Antworten Sie einfach auf diese E-Mail: Ihre Antwort erreicht "
                      "{agent} im selben Gespräch.",
        "chat_hint": "Zum Antworten kehren Sie in den Chat zurück:",
        "chat_hint_no_link": "Zum Antworten öffnen Sie den Chat auf unserer Website.",
        "footer": "Sie erhalten diese E-Mail, weil Sie mit {workspace} gechattet haben.",
        "our_team": "Unser Team",
        "transcript_subject": "Ihr Gespräch mit {workspace}",
        "transcript_intro": "Hier ist Ihr Gespräch mit {workspace}, wie gewünscht:",
        "transcript_footer": "Sie erhalten diese E-Mail, weil Sie sie im Chat angefordert haben.",
        "you": "Sie",
        "attachments_refused": "Wir haben Ihre Nachricht erhalten, aber nicht die angehängten "
                               "Dateien ({names}): Per E-Mail gesendete Dateien werden nicht "
                               "gespeichert. Wenn wir sie brauchen, nennen wir Ihnen einen "
                               "anderen Weg.",
        "triggered_footer": "Sie erhalten diese E-Mail, weil Sie Nachrichten von "
                            "{workspace} zugestimmt haben.",
        "unsubscribe": "Keine solchen E-Mails mehr",
    },
    "ru": {
        "subject": "Новый ответ от {agent} ({workspace})",
        "greeting_named": "Здравствуйте, {name}!",
        "greeting": "Здравствуйте!",
        "intro": "{agent} ответил(а) вам в чате, пока вас не было:",
        "reply_hint": "Ответьте на это письмо: ваш ответ получит {agent} в том же "
                      "разговоре.",
        "chat_hint": "Чтобы ответить, вернитесь в чат:",
        "chat_hint_no_link": "Чтобы ответить, откройте чат на нашем сайте.",
        "footer": "Вы получили это письмо, потому что общались в чате с {workspace}.",
        "our_team": "Наша команда",
        "transcript_subject": "Ваш разговор с {workspace}",
        "transcript_intro": "Вот ваш разговор с {workspace}, как вы просили:",
        "transcript_footer": "Вы получили это письмо, потому что запросили его в чате.",
        "you": "Вы",
        "attachments_refused": "Мы получили ваше сообщение, но не приложенные файлы ({names}): "
                               "файлы, отправленные по почте, не сохраняются. Если они "
                               "понадобятся, мы предложим другой способ их передать.",
        "triggered_footer": "Вы получили это письмо, потому что согласились получать "
                            "письма от {workspace}.",
        "unsubscribe": "Больше не получать такие письма",
    },
    "nl": {
        "subject": "Nieuw antwoord van {agent} ({workspace})",
        "greeting_named": "Hallo {name},",
        "greeting": "Hallo,",
        "intro": "{agent} heeft je in de chat geantwoord terwijl je weg was:",
        "reply_hint": "Beantwoord deze e-mail: je antwoord komt bij {agent} in hetzelfde "
                      "gesprek.",
        "chat_hint": "Ga terug naar de chat om te antwoorden:",
        "chat_hint_no_link": "Open de chat op onze website om te antwoorden.",
        "footer": "Je ontvangt deze e-mail omdat je met {workspace} hebt gechat.",
        "our_team": "Ons team",
        "transcript_subject": "Je gesprek met {workspace}",
        "transcript_intro": "Hier is je gesprek met {workspace}, zoals gevraagd:",
        "transcript_footer": "Je ontvangt deze e-mail omdat je erom vroeg in de chat.",
        "you": "Jij",
        "attachments_refused": "We hebben je bericht ontvangen, maar niet de bijlagen "
                               "({names}): bestanden die per e-mail worden gestuurd, bewaren "
                               "we niet. Als we ze nodig hebben, vragen we je ze op een andere "
                               "manier te sturen.",
        "triggered_footer": "Je ontvangt deze e-mail omdat je hebt ingestemd met "
                            "berichten van {workspace}.",
        "unsubscribe": "Geen e-mails zoals deze meer",
    },
}
assert set(CATALOGUES) == set(SUPPORTED_UI_LANGUAGES)

_env = Environment(autoescape=True, keep_trailing_newline=True,
                   loader=FileSystemLoader(Path(__file__).parent / "templates"))
_HTML = _env.get_template("messages.html")
_TRIGGERED = _env.get_template("triggered.html")


def language_for(preferred: str | None) -> str:
    """The e-mail's language: the visitor's when we write it, else English."""
    base = (preferred or "").lower().replace("_", "-").split("-", 1)[0]
    return base if base in CATALOGUES else "en"


def _when(at: float, lang: str) -> str:
    return format_datetime(datetime.fromtimestamp(at, UTC), "short", tzinfo=UTC,
                           locale=lang) + " UTC"


def _bodies(lang: str, *, subject: str, workspace: str, greeting: str, intro: str,
            shown: list[dict[str, Any]], hint: str | None, link: str | None, footer: str,
            unsubscribe: str | None) -> tuple[str, str]:
    """The plain text and the HTML of an e-mail that carries chat messages."""
    t = CATALOGUES[lang]
    lines = [greeting, "", intro, ""]
    for m in shown:
        lines += [f"{m['name']} · {m['when']}", *m["text"].splitlines(), ""]
    if hint:
        lines += [hint + (f" {link}" if link else ""), ""]
    lines += ["-- ", footer]
    if unsubscribe:
        lines.append(f"{t['unsubscribe']}: {unsubscribe}")
    lines.append("")
    html = _HTML.render(lang=lang, subject=subject, workspace=workspace, greeting=greeting,
                        intro=intro, messages=shown, hint=hint, link=link, footer=footer,
                        unsubscribe=unsubscribe, unsubscribe_text=t["unsubscribe"])
    return "\n".join(lines), html


def unread_replies(lang: str, *, workspace: str, agent: str | None, visitor_name: str | None,
                   messages: list[dict[str, Any]], link: str | None,
                   can_reply: bool, unsubscribe: str | None = None) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the e-mail carrying agent replies left unread.
    ``messages``: dicts with ``name``, ``text`` and ``created_at``."""
    t = CATALOGUES[lang]
    who = agent or t["our_team"]
    shown = [{"name": m.get("name") or t["our_team"], "text": m["text"],
              "when": _when(m["created_at"], lang)} for m in messages]
    greeting = t["greeting_named"].format(name=visitor_name) if visitor_name else t["greeting"]
    if can_reply:
        hint, link = t["reply_hint"].format(agent=who), None
    elif link:
        hint = t["chat_hint"]
    else:
        hint = t["chat_hint_no_link"]
    subject = t["subject"].format(agent=who, workspace=workspace)
    text, html = _bodies(lang, subject=subject, workspace=workspace, greeting=greeting,
                         intro=t["intro"].format(agent=who), shown=shown, hint=hint,
                         link=link, footer=t["footer"].format(workspace=workspace),
                         unsubscribe=unsubscribe)
    return subject, text, html


def transcript(lang: str, *, workspace: str, visitor_name: str | None,
               messages: list[dict[str, Any]], can_reply: bool,
               unsubscribe: str | None = None) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a conversation's transcript the visitor asked for.
    ``messages``: dicts with ``author``, ``name``, ``text`` and ``created_at``."""
    t = CATALOGUES[lang]
    shown = [{"name": t["you"] if m["author"] == "visitor" else m.get("name") or t["our_team"],
              "text": m["text"], "when": _when(m["created_at"], lang)} for m in messages]
    greeting = t["greeting_named"].format(name=visitor_name) if visitor_name else t["greeting"]
    agents = [m.get("name") for m in messages if m["author"] == "agent" and m.get("name")]
    who = agents[-1] if agents else t["our_team"]
    subject = t["transcript_subject"].format(workspace=workspace)
    text, html = _bodies(lang, subject=subject, workspace=workspace, greeting=greeting,
                         intro=t["transcript_intro"].format(workspace=workspace), shown=shown,
                         hint=t["reply_hint"].format(agent=who) if can_reply else None,
                         link=None, footer=t["transcript_footer"], unsubscribe=unsubscribe)
    return subject, text, html


def triggered(lang: str, *, workspace: str, payload: dict[str, Any],
              unsubscribe: str | None) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a scenario's ``email`` action: its rendered
    ``title`` (the subject), ``text``, ``coupon``, and ``button`` linking to ``url``."""
    t = CATALOGUES[lang]
    subject = str(payload.get("title") or workspace)
    body = str(payload.get("text") or "")
    coupon = payload.get("coupon") or None
    url = payload.get("url") if str(payload.get("url") or "").startswith(
        ("https://", "http://")) else None
    button = str(payload.get("button") or url or "")
    footer = t["triggered_footer"].format(workspace=workspace)
    lines = [body, ""]
    if coupon:
        lines += [str(coupon), ""]
    if url:
        lines += [f"{button}: {url}" if button != url else url, ""]
    lines += ["-- ", footer]
    if unsubscribe:
        lines.append(f"{t['unsubscribe']}: {unsubscribe}")
    lines.append("")
    html = _TRIGGERED.render(lang=lang, subject=subject, workspace=workspace,
                             paragraphs=[p for p in body.split("\n\n") if p.strip()],
                             coupon=coupon, url=url, button=button, footer=footer,
                             unsubscribe=unsubscribe, unsubscribe_text=t["unsubscribe"])
    return subject, "\n".join(lines), html


def attachments_refused(lang: str, *, workspace: str, subject: str,
                        names: list[str]) -> tuple[str, str]:
    """(subject, plain text) of the note to a sender whose e-mail carried attachments."""
    t = CATALOGUES[lang]
    shown = ", ".join(names[:10])
    body = t["attachments_refused"].format(names=shown)
    title = subject if subject.lower().startswith("re:") else f"Re: {subject or workspace}"
    return title, f"{body}\n\n-- \n{workspace}\n"
