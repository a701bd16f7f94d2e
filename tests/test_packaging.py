"""The five code folders are the import packages of one distribution, and only of it."""

import importlib
import importlib.metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["graph", "loaders", "queries", "workflow", "api"]


@pytest.mark.parametrize("name", PACKAGES)
def test_only_govgraph_provides_the_import_name(name):
    providers = set(importlib.metadata.packages_distributions().get(name, []))
    assert providers == {"govgraph"}, f"{name!r} is also installed by {providers - {'govgraph'}}"


@pytest.mark.parametrize("name", PACKAGES)
def test_the_import_name_resolves_to_this_checkout(name):
    module = importlib.import_module(name)
    assert Path(module.__file__).resolve().parent == ROOT / name


def test_fixtures_and_tests_are_not_packages():
    assert not (ROOT / "fixtures" / "__init__.py").exists()
    assert not (ROOT / "tests" / "__init__.py").exists()


def test_imports_point_downward_only():
    """api → workflow → loaders → queries → graph: nothing below api/ knows about HTTP or the
    CLI, and nothing below workflow/ about the life of a dispute."""
    allowed = {
        "graph": {"graph"},
        "queries": {"graph", "queries"},
        "loaders": {"graph", "queries", "loaders"},
        "workflow": {"graph", "queries", "loaders", "workflow"},
        "api": set(PACKAGES),
    }
    wrong = []
    for package, may_import in allowed.items():
        for path in (ROOT / package).rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                words = line.split()
                if len(words) >= 2 and words[0] in ("import", "from"):
                    top = words[1].split(".")[0]
                    if top in PACKAGES and top not in may_import:
                        wrong.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert wrong == []


@pytest.mark.slow
def test_the_wheel_holds_every_file_the_app_serves_and_the_data_it_reads(tmp_path):
    import subprocess
    import sys
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("govgraph-*.whl")
    held = set(zipfile.ZipFile(wheel).namelist())
    needed = [
        p.relative_to(ROOT).as_posix()
        for folder in ("api/static", "loaders/data", "queries")  # the holiday table too
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and p.suffix in (".html", ".js", ".css", ".xz", ".cypher", ".toml", ".csv")
    ]
    assert len(needed) > 40
    # and every module, subpackages' (api/cli, api/graphql) too: pyproject lists each package
    needed += [
        p.relative_to(ROOT).as_posix() for name in PACKAGES for p in (ROOT / name).rglob("*.py")
    ]
    assert sorted(set(needed) - held) == []
