"""The manual in docs/ tells the truth the code holds: its settings table is the code's, and its links
lead somewhere."""

import re
from pathlib import Path

from sfumato.config import Settings
from sfumato.docgen import BEGIN, END, settings_table

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_settings_page_is_generated_from_the_settings() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    table = text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip()
    assert table == settings_table(), "run: .venv/bin/python -m sfumato.docgen docs/settings.md"


def test_every_setting_is_on_the_settings_page_and_nothing_else() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    documented = set(re.findall(r"^\| `SFUMATO_([A-Z0-9_]+)`", text, re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}
    assert all(Settings.model_fields[name].description for name in Settings.model_fields)


def test_every_setting_the_manual_names_exists() -> None:
    known = {f"SFUMATO_{name.upper()}" for name in Settings.model_fields}
    # the scripts' and tests' own
    known |= {
        "SFUMATO_VENV",
        "SFUMATO_TORCH_SPEC",
        "SFUMATO_ARTIFACTS",
        "SFUMATO_TEST_PROCESSES",
        "SFUMATO_TEST_DEPLOYMENTS",
    }
    named = {name for page in PAGES for name in re.findall(r"SFUMATO_[A-Z0-9_]+[A-Z0-9]", page.read_text())}
    assert named - known == set()


def test_the_manual_links_lead_to_files_that_exist() -> None:
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert broken == []


def test_the_testing_page_counts_the_equivalent_mutants_listed() -> None:
    import tomllib

    listed = tomllib.loads((ROOT / "tests" / "mutation_equivalent.toml").read_text())
    counted = re.findall(r"Of the (\d+) equivalent mutants", (ROOT / "docs" / "testing.md").read_text())
    assert counted == [str(len(listed))]
