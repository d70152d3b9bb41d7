from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from laborwatch.role_cards import DEFAULT_ROLES_DIR, load_role_cards
from laborwatch.settings import SettingsError, load_settings
from transforms.role_card import RoleCardError

CARD = (DEFAULT_ROLES_DIR / "ai_ml_engineer.toml").read_text()


def test_shipped_cards_load_and_ai_ml_engineer_sums_to_52() -> None:
    cards = {card.id: card for card in load_role_cards()}
    assert {"ai_ml_engineer", "data_scientist"} <= set(cards)
    assert cards["ai_ml_engineer"].baseline_total == 52
    assert cards["ai_ml_engineer"].soc_codes == ("15-2051",)


def _write(tmp_path: Path, text: str, name: str = "ai_ml_engineer") -> Path:
    roles = tmp_path / "roles"
    roles.mkdir(exist_ok=True)
    (roles / f"{name}.toml").write_text(text)
    return roles


def test_a_card_whose_components_miss_the_published_total_is_rejected(tmp_path: Path) -> None:
    roles = _write(tmp_path, CARD.replace("published_total = 52", "published_total = 60"))
    with pytest.raises(RoleCardError, match=r"ai_ml_engineer\.toml.*'components'.*52.*60"):
        load_role_cards(roles)


def test_a_card_with_an_unknown_key_is_rejected_naming_file_and_key(tmp_path: Path) -> None:
    roles = _write(tmp_path, CARD.replace("[components.demand]", "[components.demand]\nbaselin = 3"))
    with pytest.raises(
        RoleCardError, match=r"ai_ml_engineer\.toml: unknown key 'components\.demand\.baselin'"
    ):
        load_role_cards(roles)
    roles = _write(tmp_path, "colour = 'red'\n" + CARD)
    with pytest.raises(RoleCardError, match=r"ai_ml_engineer\.toml: unknown key 'colour'"):
        load_role_cards(roles)


def test_a_card_with_a_threshold_out_of_range_is_rejected(tmp_path: Path) -> None:
    roles = _write(tmp_path, CARD.replace("score_change = 2.0", "score_change = 250.0"))
    with pytest.raises(RoleCardError, match=r"'alerts\.score_change' 250 is outside"):
        load_role_cards(roles)


def test_a_baseline_above_its_maximum_is_rejected(tmp_path: Path) -> None:
    data = tomllib.loads(CARD)
    text = CARD.replace(
        f"baseline = {data['components']['demand']['baseline']}\nmax = 30", "baseline = 31\nmax = 30"
    )
    with pytest.raises(RoleCardError, match=r"components\.demand\.baseline"):
        load_role_cards(_write(tmp_path, text))


def test_a_card_whose_id_differs_from_its_file_name_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(RoleCardError, match="must equal the file name"):
        load_role_cards(_write(tmp_path, CARD, name="ml_engineer"))


def test_settings_work_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABORWATCH_CONFIG", raising=False)
    settings = load_settings()
    assert settings.warehouse_path == Path("data/warehouse.duckdb")
    assert settings.sources["greenhouse"].base_url == "https://boards-api.greenhouse.io"
    assert not any(source.enabled for source in settings.sources.values())


def test_settings_read_sources_and_reject_secrets(tmp_path: Path) -> None:
    config = tmp_path / "lw.toml"
    config.write_text(
        '[warehouse]\npath = "w.duckdb"\n[sources.greenhouse]\nbase_url = "http://127.0.0.1:9"\n'
        'boards = ["acme"]\n[sources.jsonld]\npages = ["http://127.0.0.1:9/careers"]\n'
    )
    settings = load_settings(config)
    assert settings.warehouse_path == tmp_path / "w.duckdb"
    assert settings.sources["greenhouse"].boards == ["acme"]
    assert settings.sources["jsonld"].boards == ["http://127.0.0.1:9/careers"]
    config.write_text('[bls]\napi_key = "abc"\n')
    with pytest.raises(SettingsError, match="'bls.api_key' looks like a secret"):
        load_settings(config)
    config.write_text("[sources.monster]\nboards = ['x']\n")
    with pytest.raises(SettingsError, match=r"unknown source \[sources.monster\]"):
        load_settings(config)


def test_the_example_config_is_valid() -> None:
    settings = load_settings(DEFAULT_ROLES_DIR.parent / "laborwatch.example.toml")
    assert settings.backend == "duckdb"
    assert set(settings.sources) == {"greenhouse", "lever", "ashby", "jsonld", "hn", "remoteok", "themuse"}


def test_ducklake_data_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "lw.toml"
    config.write_text('[warehouse]\nbackend = "ducklake"\nducklake_data_path = "lake"\n')
    assert load_settings(config).ducklake_data_path == str(tmp_path / "lake")
    config.write_text('[warehouse]\nbackend = "ducklake"\nducklake_data_path = "s3://bucket/lake"\n')
    assert load_settings(config).ducklake_data_path == "s3://bucket/lake"
