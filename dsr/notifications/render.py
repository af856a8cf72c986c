"""Turn an outbox row into an e-mail. Capability links are derived here from the secret key,
so the database never holds a usable token."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.utils import formatdate
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dsr.credentials import derive_case_token, sha256_hex
from dsr.domain.text_rules import short_quote
from dsr.i18n import DEFAULT, normalise
from dsr.i18n.catalogues import format_date, translations
from dsr.notifications.catalogue import REQUESTER_KINDS, subject_for
from dsr.notifications.models import OutboxMessage
from dsr.resources import TEMPLATES
from dsr.settings import Settings

LINK_PATHS = {
    "verify": "/requests/{case_id}/verify?token={token}",
    "status": "/requests/{case_id}?token={token}",
    "appeal": "/requests/{case_id}/appeal?token={token}",
    "package": "/requests/{case_id}/package?token={token}",
    # An agent's upload link for the signed permission (dsr.cases.proofs): it reads nothing.
    "proof": "/requests/{case_id}/agent-proof?token={token}",
}


@lru_cache(maxsize=8)
def _env(lang: str = DEFAULT) -> Environment:
    """One environment a language: its gettext is that language's catalogue (README,
    "Languages"). Staff messages use the English one."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES / "email"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Sentences wrapped over lines in the .txt templates are one msgid, shared with the .html.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    # At render time, not enqueue time, so messages already in the outbox obey it too.
    env.filters["short_quote"] = short_quote
    env.filters["date"] = lambda value: format_date(value, lang)
    env.filters["regulator_name"] = lambda reg: regulator_name(reg, lang)
    env.globals["language"] = lang
    return env


def regulator_name(regulator: dict[str, Any], lang: str) -> str:
    """The name config/regulators.toml gives in the requester's language (`names`, by tag: the
    exact one, then the base language), else its `name`."""
    names = regulator.get("names") or {}
    return str(names.get(lang) or names.get(lang.split("-")[0]) or regulator["name"])


def language_of(msg: OutboxMessage) -> str:
    """The requester's language stored with the message; staff messages are English."""
    return _language(msg.kind, msg.context)


def _language(kind: str, context: dict[str, Any]) -> str:
    if kind not in REQUESTER_KINDS:
        return DEFAULT
    return normalise(str(context.get("language") or "")) or DEFAULT


def message_id(msg: OutboxMessage, settings: Settings) -> str:
    """Stable across retries, so a receiving server can drop a copy sent twice."""
    return f"<dsr.{msg.id}.{sha256_hex(msg.dedup_key)[:16]}@{settings.mail_domain}>"


def links(context: dict[str, Any], settings: Settings) -> dict[str, str]:
    out: dict[str, str] = {}
    case_id = context.get("case_id")
    for purpose, token_id in (context.get("tokens") or {}).items():
        # The appeal link carries the status token: one capability for the requester's case.
        token_purpose = "status" if purpose == "appeal" else purpose
        token = derive_case_token(settings.secret_key, uuid.UUID(token_id), token_purpose)
        out[purpose] = settings.base_url.rstrip("/") + LINK_PATHS[purpose].format(
            case_id=case_id, token=token
        )
    if link_id := context.get("task_link"):  # a manual system owner's task page
        token = derive_case_token(settings.secret_key, uuid.UUID(link_id), "task")
        out["task"] = f"{settings.base_url.rstrip('/')}/tasks/{context['task_id']}?token={token}"
    if case_id and context.get("staff"):
        out["case"] = f"{settings.base_url.rstrip('/')}/console/cases/{case_id}"
    return out


def render(msg: OutboxMessage, settings: Settings) -> EmailMessage:
    ctx = dict(msg.context)
    lang = language_of(msg)
    ctx["links"] = links(ctx, settings)
    if lang != DEFAULT:  # the pages behind the links open in the requester's language too
        ctx["links"] = {
            k: (f"{v}&lang={lang}" if k in LINK_PATHS else v) for k, v in ctx["links"].items()
        }
    ctx["base_url"] = settings.base_url.rstrip("/")
    ctx.setdefault("reference", "")
    env = _env(lang)
    text = env.get_template(f"{msg.kind}.txt").render(**ctx)
    html = env.get_template(f"{msg.kind}.html").render(**ctx)
    email = EmailMessage()
    email["Subject"] = subject_for(msg.kind, ctx, translations(lang).gettext, env.filters["date"])
    email["From"] = settings.mail_from
    email["To"] = msg.recipient
    email["Message-ID"] = message_id(msg, settings)
    email["Date"] = formatdate(localtime=False)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    return email


# The staff's check step shows the notice a decision will send; a personal link stays out of it
# (it is a capability of the requester's, and staff have no use for it).
PREVIEW_LINK = "[the requester's personal link]"


def preview(kind: str, context: dict[str, Any], settings: Settings) -> tuple[str, str]:
    """The subject and plain-text body `kind` renders from `context`, as the requester will
    receive them (in their language), with the personal links replaced by a placeholder."""
    ctx = dict(context)
    lang = _language(kind, ctx)
    ctx["links"] = dict.fromkeys(links(ctx, settings), PREVIEW_LINK)
    ctx["base_url"] = settings.base_url.rstrip("/")
    ctx.setdefault("reference", "")
    env = _env(lang)
    text = env.get_template(f"{kind}.txt").render(**ctx)
    return subject_for(kind, ctx, translations(lang).gettext, env.filters["date"]), text
