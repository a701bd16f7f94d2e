from pathlib import Path

from pydantic import SecretStr

from api.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def _shown(default: object) -> str:
    if isinstance(default, SecretStr):
        return "(secret, empty)"
    return str(default)


def test_every_setting_is_documented_with_its_default_and_meaning():
    documented = [
        line
        for line in DOCS.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `GOVGRAPH_")
    ]
    expected = [
        f"| `GOVGRAPH_{name.upper()}` | `{_shown(field.default)}` | {field.description} |"
        for name, field in Settings.model_fields.items()
    ]
    assert documented == expected


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GOVGRAPH_DB", "/srv/graph.lbdb")
    monkeypatch.setenv("GOVGRAPH_BATCH_SIZE", "100")
    settings = Settings()
    assert (settings.db, settings.batch_size) == ("/srv/graph.lbdb", 100)
