"""The new text of a reply, as Gmail, Outlook, Apple Mail and Thunderbird write them in
English, French, German, Russian and Dutch: the quoted e-mail and the signature go."""

from __future__ import annotations

from email import message_from_string, policy
from email.message import EmailMessage

import pytest

from floorwalker.mail.reply_text import html_to_text, new_text, strip_quoted

QUOTE = "> Yes, in 2 days.\n> Shipping is free from €50.\n"
REPLY = {
    "en": "Thanks, that works for me!\nCan you send it to my office?",
    "fr": "Merci, ça me convient !\nPouvez-vous l'envoyer à mon bureau ?",
    "de": "Danke, das passt!\nKönnen Sie es an mein Büro schicken?",
    "ru": "Спасибо, мне подходит!\nМожете отправить в мой офис?",
    "nl": "Bedankt, dat werkt!\nKunnen jullie het naar mijn kantoor sturen?",
}
SIGNATURE = {"en": "Best regards,\nAnn", "fr": "Cordialement,\nAnn",
             "de": "Viele Grüße\nAnn", "ru": "С уважением,\nАнна",
             "nl": "Met vriendelijke groet,\nAnn"}
# How each client introduces the e-mail it quotes, per language.
GMAIL = {
    "en": "On Sat, Dec 5, 2026 at 10:00 AM Sam (Acme) <shop@acme.example> wrote:",
    "fr": "Le sam. 5 déc. 2026 à 10:00, Sam (Acme) <shop@acme.example> a écrit :",
    "de": "Am Sa., 5. Dez. 2026 um 10:00 Uhr schrieb Sam (Acme) <shop@acme.example>:",
    "ru": "сб, 5 дек. 2026 г. в 10:00, Sam (Acme) <shop@acme.example>:",
    "nl": "Op za 5 dec 2026 om 10:00 schreef Sam (Acme) <shop@acme.example>:",
}
APPLE = {
    "en": "> On 5 Dec 2026, at 10:00, Sam (Acme) <shop@acme.example> wrote:",
    "fr": "> Le 5 déc. 2026 à 10:00, Sam (Acme) <shop@acme.example> a écrit :",
    "de": "> Am 05.12.2026 um 10:00 schrieb Sam (Acme) <shop@acme.example>:",
    "ru": "> 5 дек. 2026 г., в 10:00, Sam (Acme) <shop@acme.example> написал(а):",
    "nl": "> Op 5 dec. 2026 om 10:00 heeft Sam (Acme) <shop@acme.example> het volgende "
          "geschreven:",
}
OUTLOOK = {
    "en": ("From: Sam (Acme) <shop@acme.example>\nSent: Saturday, December 5, 2026 10:00"
           "\nTo: ann@example.com\nSubject: New reply from Sam (Acme)"),
    "fr": ("De : Sam (Acme) <shop@acme.example>\nEnvoyé : samedi 5 décembre 2026 10:00"
           "\nÀ : ann@example.com\nObjet : Nouvelle réponse de Sam (Acme)"),
    "de": ("Von: Sam (Acme) <shop@acme.example>\nGesendet: Samstag, 5. Dezember 2026 10:00"
           "\nAn: ann@example.com\nBetreff: Neue Antwort von Sam (Acme)"),
    "ru": ("От: Sam (Acme) <shop@acme.example>\nОтправлено: 5 декабря 2026 г. 10:00"
           "\nКому: ann@example.com\nТема: Новый ответ от Sam (Acme)"),
    "nl": ("Van: Sam (Acme) <shop@acme.example>\nVerzonden: zaterdag 5 december 2026 10:00"
           "\nAan: ann@example.com\nOnderwerp: Nieuw antwoord van Sam (Acme)"),
}
THUNDERBIRD = {
    "en": "On 05/12/2026 10:00, Sam (Acme) wrote:",
    "fr": "Le 05/12/2026 à 10:00, Sam (Acme) a écrit :",
    "de": "Am 05.12.26 um 10:00 schrieb Sam (Acme):",
    "ru": "05.12.2026 10:00, Sam (Acme) пишет:",
    "nl": "Op 05-12-2026 om 10:00 schreef Sam (Acme):",
}


def written(client: str, lang: str) -> str:
    reply, sig = REPLY[lang], SIGNATURE[lang]
    if client == "gmail":
        return f"{reply}\n\n{sig}\n\n{GMAIL[lang]}\n\n{QUOTE}"
    if client == "apple":
        return f"{reply}\n\n{sig}\n\n{APPLE[lang]}\n>\n{QUOTE}"
    if client == "outlook":
        return f"{reply}\n\n{sig}\n\n{'_' * 32}\n{OUTLOOK[lang]}\n\nYes, in 2 days.\n"
    return f"{reply}\n\n{sig}\n\n{THUNDERBIRD[lang]}\n{QUOTE}"


@pytest.mark.parametrize("lang", sorted(REPLY))
@pytest.mark.parametrize("client", ["gmail", "apple", "outlook", "thunderbird"])
def test_only_the_new_words_stay(client: str, lang: str) -> None:
    assert strip_quoted(written(client, lang)) == REPLY[lang]


@pytest.mark.parametrize("lang", sorted(REPLY))
def test_outlooks_original_message_separator(lang: str) -> None:
    separator = {"en": "-----Original Message-----", "fr": "-----Message d'origine-----",
                 "de": "-----Ursprüngliche Nachricht-----",
                 "ru": "-----Исходное сообщение-----",
                 "nl": "-----Oorspronkelijk bericht-----"}[lang]
    text = f"{REPLY[lang]}\n\n{separator}\n{OUTLOOK[lang]}\n\nYes, in 2 days.\n"
    assert strip_quoted(text) == REPLY[lang]


def test_sent_from_a_phone_and_a_dash_dash_signature_go() -> None:
    assert strip_quoted("Danke!\n\nVon meinem iPhone gesendet\n") == "Danke!"
    assert strip_quoted("Thanks!\n\n-- \nAnn Archer\nACME Corp\n") == "Thanks!"
    assert strip_quoted("Dank je!\n\nVerstuurd vanaf mijn iPhone") == "Dank je!"


def test_html_replies_lose_their_quote_and_never_run_anything() -> None:
    html = ('<div dir="ltr">Thanks, <b>that</b> works!<br>Ann &amp; Bob</div><br>'
            '<div class="gmail_quote"><div>On Sat wrote:</div><blockquote>old <p>news'
            '</blockquote></div><script>alert(1)</script><style>p{}</style>')
    assert html_to_text(html).strip() == "Thanks, that works!\nAnn & Bob"
    outlook = ('<html><body><p>Merci&nbsp;!</p><div id="divRplyFwdMsg"><b>De :</b> Sam'
               '</div><div>Oui</div></body></html>')
    assert html_to_text(outlook).strip().startswith("Merci !")
    assert "Sam" not in html_to_text(outlook) and "Oui" not in html_to_text(outlook)


def message(raw: str) -> EmailMessage:
    parsed = message_from_string(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_plain_part_wins_and_attachments_are_named() -> None:
    mail = EmailMessage()
    mail["From"] = "ann@example.com"
    mail.set_content(written("gmail", "en"))
    mail.add_alternative("<p>HTML copy</p>", subtype="html")
    mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf",
                        filename="invoice.pdf")
    text, names = new_text(message(mail.as_string()))
    assert text == REPLY["en"] and names == ["invoice.pdf"]
    html_only = EmailMessage()
    html_only.set_content("<p>Only <i>HTML</i></p><blockquote>quoted</blockquote>",
                          subtype="html")
    assert new_text(message(html_only.as_string())) == ("Only HTML", [])
