"""Where alerts go: log, JSON-lines file, webhook (Slack-compatible), e-mail over SMTP.

Each channel's `send` either returns (delivered) or raises (not delivered: the delivery loop
records the error and retries the alert on the next run). Channels are built from the alert
settings object; this stage does not import laborwatch, so the settings are described by the
`AlertConfig` protocol rather than imported.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from alerts.outbox import Alert
from alerts.redact import Redactor

CHANNELS = ("log", "file", "webhook", "smtp")

# The logger the `log` channel writes to: route it with ordinary logging configuration.
ALERT_LOGGER = "laborwatch.alerts"

_ERROR_BODY_CHARS = 200


class AlertConfig(Protocol):
    """The fields of laborwatch.settings.AlertSettings that delivery uses."""

    channels: list[str]
    smtp_host: str
    smtp_port: int
    smtp_user: str | None
    smtp_from: str
    smtp_to: list[str]
    smtp_starttls: bool
    timeout_seconds: float
    max_consecutive_failures: int

    @property
    def webhook_url(self) -> str | None: ...

    @property
    def smtp_password(self) -> str | None: ...


class AlertConfigError(ValueError):
    """Alert settings that name a channel this stage does not have."""


class ChannelError(RuntimeError):
    """A delivery that did not happen; the message says why (secrets already redacted)."""


class Channel(Protocol):
    name: str

    def send(self, alert: Alert) -> None: ...


class LogChannel:
    """Python logging at WARNING, so an unconfigured root logger still shows alerts."""

    name = "log"

    def __init__(self, redact: Redactor):
        self._redact = redact
        self._log = logging.getLogger(ALERT_LOGGER)

    def send(self, alert: Alert) -> None:
        self._log.warning("[%s] %s (alert %s)", alert.kind, self._redact(alert.message), alert.alert_id)


class FileChannel:
    """One JSON object per line, appended once per alert.

    Delivery is at-least-once (a crash after appending but before recording re-sends), so the file
    channel checks the ids already in the file and appends an alert only if it is not there.
    """

    name = "file"

    def __init__(self, path: Path, redact: Redactor):
        self.path = Path(path)
        self._redact = redact
        self._written: set[str] | None = None

    def _ids_in_file(self) -> set[str]:
        ids: set[str] = set()
        if not self.path.exists():
            return ids
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                try:
                    ids.add(json.loads(line)["alert_id"])
                except (ValueError, KeyError, TypeError):
                    logging.getLogger(__name__).warning("%s:%d is not an alert record", self.path, number)
        return ids

    def send(self, alert: Alert) -> None:
        if self._written is None:
            self._written = self._ids_in_file()
        if alert.alert_id in self._written:
            return
        record = alert.as_record()
        record["message"] = self._redact(record["message"])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        self._written.add(alert.alert_id)


class WebhookChannel:
    """A Slack-compatible incoming webhook: POST {"text": message} as JSON; any 2xx is delivered.

    urllib rather than requests: urllib3 logs request paths at DEBUG, and a webhook's path is its
    secret.
    """

    name = "webhook"

    def __init__(self, url: str | None, timeout: float):
        self._url = url
        self._timeout = timeout

    def send(self, alert: Alert) -> None:
        if not self._url:
            raise ChannelError("no webhook URL: set LABORWATCH_WEBHOOK_URL")
        body = json.dumps({"text": alert.message}).encode("utf-8")
        request = urllib.request.Request(
            self._url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "laborwatch-alerts"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                status = response.status
                answer = response.read(_ERROR_BODY_CHARS)
        except urllib.error.HTTPError as exc:
            answer = exc.read(_ERROR_BODY_CHARS).decode("utf-8", "replace")
            raise ChannelError(f"webhook answered HTTP {exc.code}: {answer}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise ChannelError(f"webhook unreachable: {reason}") from None
        if not 200 <= status < 300:
            raise ChannelError(f"webhook answered HTTP {status}: {answer.decode('utf-8', 'replace')}")


class SmtpChannel:
    """One e-mail per alert; STARTTLS and login when configured.

    The Message-ID is derived from the alert id, so a re-sent alert (at-least-once) is recognisably
    the same message to mail clients that collapse duplicates.
    """

    name = "smtp"

    def __init__(self, config: AlertConfig):
        self._config = config

    def _message(self, alert: Alert) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._config.smtp_from
        message["To"] = ", ".join(self._config.smtp_to)
        message["Subject"] = f"[laborwatch] {alert.headline}"[:200]
        message["Message-ID"] = f"<{alert.alert_id}@laborwatch>"
        message.set_content(
            f"{alert.message}\n\n--\nalert {alert.alert_id} · {alert.kind} · fired {alert.fired_at}\n"
        )
        return message

    def send(self, alert: Alert) -> None:
        config = self._config
        if not config.smtp_to:
            raise ChannelError("no recipients: set [alerts] smtp_to")
        if config.smtp_user and not config.smtp_password:
            raise ChannelError("smtp_user is set but LABORWATCH_SMTP_PASSWORD is not")
        try:
            with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout_seconds) as smtp:
                if config.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if config.smtp_user:
                    smtp.login(config.smtp_user, config.smtp_password or "")
                smtp.send_message(self._message(alert))
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(
                f"smtp {config.smtp_host}:{config.smtp_port}: {type(exc).__name__}: {exc}"
            ) from None


def build_channels(config: AlertConfig, alerts_file: Path, redact: Redactor) -> list[Channel]:
    """The configured channels in order; an unknown name is a configuration error, raised now."""
    unknown = [name for name in config.channels if name not in CHANNELS]
    if unknown:
        raise AlertConfigError(
            f"[alerts] channels: unknown {', '.join(unknown)} (known: {', '.join(CHANNELS)})"
        )
    makers = {
        "log": lambda: LogChannel(redact),
        "file": lambda: FileChannel(alerts_file, redact),
        "webhook": lambda: WebhookChannel(config.webhook_url, config.timeout_seconds),
        "smtp": lambda: SmtpChannel(config),
    }
    return [makers[name]() for name in dict.fromkeys(config.channels)]
