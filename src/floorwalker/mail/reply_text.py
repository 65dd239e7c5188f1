"""The new text of an e-mail reply: its plain part (or its HTML as text), without the
quoted e-mail it answers and without the signature.

Quoted text and signatures are cut by mail-parser-reply (English, German, French,
Dutch and the other languages it knows); Russian headers ("... пишет:", "Исходное
сообщение", Outlook's "От:" block), which it does not know, are cut here, as are lines
quoted with ">" that remain.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser  # type: ignore[import-untyped]

_LANGUAGES = ["en", "de", "fr", "nl", "es", "it", "sv", "da", "pl", "cs"]
_PARSER = EmailReplyParser(languages=_LANGUAGES)
# Where a quoted e-mail starts, in the languages the library does not know (Russian),
# and the separators some clients put before it ("-----Original Message-----" in each
# language, Outlook's line of underscores).
_HEADERS = re.compile(
    r"^\s*(?:"
    r".{0,200}(?:пишет|написал\(а\)|написала|написал)\s*:\s*$"
    r"|-{3,}\s*[^\n-][^\n]{2,60}?\s*-{3,}\s*$"
    r"|_{10,}\s*$"
    r"|От:\s.+$"
    r")", re.MULTILINE | re.IGNORECASE)
# A signature's first line (the library knows English, German, French, Dutch ones).
_SIGNATURE = re.compile(
    r"^\s*(?:--\s*$|С уважением|С наилучшими пожеланиями|Всего доброго|Отправлено с"
    r"|Sent from my|Envoyé de mon|Von meinem|Verstuurd vanaf mijn|Verzonden vanaf mijn)",
    re.MULTILINE | re.IGNORECASE)


class _Text(HTMLParser):
    """HTML to text: block elements become line breaks; scripts, styles and
    ``<blockquote>`` are left out, and so is everything from a client's quote container
    on (Gmail's ``gmail_quote``, Outlook's ``divRplyFwdMsg``...)."""

    _SKIP = {"script", "style", "head", "title", "blockquote"}
    _QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote",
                      "ms-outlook-quote", "divrplyfwdmsg")
    _BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_tag: str | None = None  # the element being left out, and its depth
        self.depth = 0
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_tag is not None:
            self.depth += tag == self.skip_tag
            return
        classes = " ".join(v or "" for k, v in attrs if k in {"class", "id"}).lower()
        if any(c in classes for c in self._QUOTE_CLASSES):
            self.stopped = True  # the quoted e-mail: it and all after it
        if self.stopped:
            return
        if tag in self._SKIP:
            self.skip_tag, self.depth = tag, 1
            return
        if tag in self._BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.depth -= 1
                if self.depth == 0:
                    self.skip_tag = None
            return
        if tag in self._BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip_tag is None and not self.stopped:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out).replace("\xa0", " ")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.splitlines()))


def strip_quoted(text: str) -> str:
    """The reply without the e-mail it quotes and without its signature."""
    text = text.replace("\r\n", "\n")
    cut = _HEADERS.search(text)
    if cut is not None:
        text = text[:cut.start()]
    try:
        mail = _PARSER.read(text)
        first = mail.replies[0] if mail.replies else None
        kept = (first.body or first.content) if first is not None else text
    except Exception:  # a parser bug must not lose the visitor's words
        kept = text
    signature = _SIGNATURE.search(kept)
    if signature is not None and signature.start() > 0:
        kept = kept[:signature.start()]
    lines = [line for line in kept.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def new_text(message: EmailMessage) -> tuple[str, list[str]]:
    """(the reply's new text, the names of its attachments)."""
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        content = str(body.get_content())
        text = html_to_text(content) if body.get_content_subtype() == "html" else content
    names = [part.get_filename() or part.get_content_type()
             for part in message.iter_attachments()]
    return strip_quoted(text), names
