"""Builders for the alert tests: constructed rows in a real temp warehouse, a real SMTP server."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import polars as pl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from transforms.role_card import RoleCard, parse_role_card
from warehouse.db import Warehouse
from warehouse.postings_load import record_source_health

MONDAY = dt.date(2026, 1, 5)


def week(n: int) -> dt.date:
    """The Monday of week n (week 0 = 2026-01-05)."""
    return MONDAY + dt.timedelta(weeks=n)


def make_card(
    role_id: str = "ai_ml_engineer",
    title: str = "AI/ML Engineer",
    threshold: float = 2.0,
    triggers: dict | None = None,
) -> RoleCard:
    return parse_role_card(
        {
            "id": role_id,
            "title": title,
            "soc_codes": ["15-2051"],
            "published_total": 52,
            "match": {"title_patterns": [r"\bml\b"]},
            "components": {
                "automation_resistance": {"baseline": 14, "max": 40},
                "structural_moat": {"baseline": 17, "max": 30},
                "demand": {"baseline": 21, "max": 30},
            },
            "alerts": {"score_change": threshold},
            "triggers": triggers or {},
        }
    )


def insert_scores(
    wh: Warehouse, totals: Sequence[float], role_id: str = "ai_ml_engineer", state: str = "stable"
) -> None:
    """One score per week from week 0; components carry the difference in automation_resistance."""
    rows = [
        {
            "role_id": role_id,
            "as_of": week(i),
            "automation_resistance": total - 38,
            "structural_moat": 17.0,
            "demand": 21.0,
            "total": float(total),
            "outlook_state": state,
            "explanation": f"entry_production_share moved automation_resistance by {total - 52:+g} (week {i})",
        }
        for i, total in enumerate(totals)
    ]
    wh.upsert("marts.role_scores", pl.DataFrame(rows), ["role_id", "as_of"])


def insert_states(
    wh: Warehouse,
    weeks: Sequence[tuple[str, list[str]]],
    role_id: str = "ai_ml_engineer",
    start: int = 0,
) -> None:
    """(outlook_state, active_triggers) per week from week `start`."""
    rows = [
        {
            "role_id": role_id,
            "week": week(start + i),
            "outlook_state": state,
            "raw_triggers": active,
            "active_triggers": active,
            "detail": f"entry production share 0.61 vs 0.48 (n=140) in week {start + i}",
        }
        for i, (state, active) in enumerate(weeks)
    ]
    schema = {"raw_triggers": pl.List(pl.String), "active_triggers": pl.List(pl.String)}
    wh.upsert("marts.role_states", pl.DataFrame(rows, schema_overrides=schema), ["role_id", "week"])


def insert_health(wh: Warehouse, rows: Sequence[tuple[str, str, str, str, int, str | None]]) -> None:
    """(source, board, run, status, rows, error) rows of marts.source_health, as a run records them."""
    columns = ["source", "board", "run", "status", "rows", "error"]
    record_source_health(wh, pl.DataFrame(rows, schema=columns, orient="row"))


def alerts_table(wh: Warehouse) -> pl.DataFrame:
    return wh.query("SELECT * FROM marts.alerts ORDER BY fired_at, kind, new_value")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it receives; it can refuse the first N messages."""

    refuse: int = 0
    messages: list[Message] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox


def _authenticator(inbox: Inbox, user: str, password: str) -> Callable:
    def check(server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, given = auth_data.login.decode(), auth_data.password.decode()
        inbox.logins.append((login, given))
        return AuthResult(success=(login, given) == (user, password), handled=False)

    return check


@pytest.fixture
def smtp_factory() -> Iterator[Callable[..., SmtpServer]]:
    """Start real SMTP servers on 127.0.0.1: plain, with AUTH, or requiring STARTTLS."""
    controllers: list[Controller] = []

    def start(
        refuse: int = 0,
        auth: tuple[str, str] | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> SmtpServer:
        inbox = Inbox(refuse=refuse)
        port = free_port()
        options: dict = {}
        if auth:
            options.update(
                authenticator=_authenticator(inbox, *auth), auth_require_tls=tls_context is not None
            )
        if tls_context:
            options.update(tls_context=tls_context, require_starttls=True)
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return SmtpServer("127.0.0.1", port, inbox)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def tls_server_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1 that the client trusts through SSL_CERT_FILE."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
