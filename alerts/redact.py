"""Keep secrets out of everything alerts write: logs, stored errors, the JSON-lines file.

A webhook URL is a bearer credential (Slack's carries its token in the path), and an SMTP password
is one outright. Errors raised while talking to those services can quote them, so every string
that leaves a channel passes through a Redactor built from the live secrets.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, urlsplit

MASK = "[redacted]"
# Fragments of the webhook URL are masked only when long enough to be a token: masking "/hooks"
# or "services" would mangle ordinary text without protecting anything.
_MIN_FRAGMENT_LENGTH = 12


class Redactor:
    def __init__(self, secrets: Iterable[str | None]):
        found = {s for s in secrets if s}
        found |= {quote(s, safe="") for s in found}
        # Longest first, so a whole URL is masked before its path is.
        self._secrets = sorted(found, key=len, reverse=True)

    @classmethod
    def for_secrets(cls, webhook_url: str | None, smtp_password: str | None) -> Redactor:
        """The secrets whole, plus the pieces of the webhook URL that error messages quote."""
        secrets: list[str | None] = [webhook_url, smtp_password]
        if webhook_url:
            parts = urlsplit(webhook_url)
            fragments = [parts.path, parts.query, f"{parts.path}?{parts.query}", *parts.path.split("/")]
            secrets += [f for f in fragments if len(f) >= _MIN_FRAGMENT_LENGTH]
            secrets.append(parts.password)
        return cls(secrets)

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text
