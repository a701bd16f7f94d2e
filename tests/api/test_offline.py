"""Nothing the server gives a browser fetches from an outside host: centers' machines are often
cut off from the internet (政务外网). Pages, style sheets and script modules refer only to this
server, and the vendored files are the ones the pages' integrity hashes name. A real browser
with every other host cut off: test_graphiql_browser.py and test_page_browser.py."""

import base64
import hashlib
import json
import posixpath
import re

import httpx
import pytest

from api.app import STATIC, create_app
from api.settings import Settings

pytestmark = pytest.mark.anyio

# Attributes and CSS that make a browser fetch something.
FETCHES = re.compile(
    r"""(?:src|href)\s*=\s*["']([^"']+)["']"""
    r"""|url\(\s*["']?([^"')]+)"""
    r"""|@import\s+["']([^"']+)"""
)


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _settings(tmp_path, mode):
    return Settings(_env_file=None, tokens=str(tmp_path / "t.json"), mode=mode)


class NoGraph:
    """No page here reads the graph."""

    def read(self, query, params=None):
        raise AssertionError("a page read the graph")


def outside_references(text: str) -> list[str]:
    """What `text` would fetch from a host other than the one serving it."""
    found = [next(g for g in m.groups() if g) for m in FETCHES.finditer(text)]
    return [u for u in found if re.match(r"(?i)^(https?:)?//", u)]


def test_the_finder_sees_an_outside_reference_in_each_form():
    page = """<script src="https://unpkg.com/react.js"></script><link href='//cdn.x/a.css'>
    <style>@import "http://fonts.example/f.css"; b { background: url(https://x.example/i.png) }
    </style><img src="/static/local.png">"""
    assert outside_references(page) == [
        "https://unpkg.com/react.js",
        "//cdn.x/a.css",
        "http://fonts.example/f.css",
        "https://x.example/i.png",
    ]


@pytest.mark.parametrize("mode", ["development", "production"])
async def test_no_page_and_no_style_sheet_refers_to_an_outside_host(tmp_path, mode):
    app = create_app(_settings(tmp_path, mode), backend=NoGraph())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        paths = ("/", "/graphql") if mode == "development" else ("/",)  # GraphiQL: dev only
        pages = [
            await client.get(path, headers={"Accept": "text/html"}, follow_redirects=True)
            for path in paths
        ]
        sheets = [
            await client.get("/static/" + p.relative_to(STATIC).as_posix())
            for p in sorted(STATIC.rglob("*.css"))
        ]
    assert [(r.status_code, r.headers["content-type"]) for r in pages] == [
        (200, "text/html; charset=utf-8")
    ] * len(paths)
    assert [r.status_code for r in sheets] == [200] * 3  # GraphiQL's, its explorer's, the page's
    for response in [*pages, *sheets]:
        assert outside_references(response.text) == [], response.url


def _sha384(path: str) -> str:
    return base64.b64encode(hashlib.sha384((STATIC / path).read_bytes()).digest()).decode()


def test_every_vendored_file_a_page_loads_is_the_one_its_integrity_hash_names():
    page = (STATIC / "graphiql.html").read_text(encoding="utf-8")
    loaded = re.findall(r'(?:src|href)="/static/([^"]+)"\s+integrity="sha384-([^"]+)"', page)
    assert len(loaded) == 6
    for path, expected in loaded:
        assert _sha384(path) == expected, path
    imports, integrity = _import_map()
    assert sorted(imports) == ["htm", "preact", "preact/hooks"]
    assert sorted(integrity) == sorted(imports.values())  # every mapped module is checked
    for url, expected in integrity.items():
        assert expected == "sha384-" + _sha384(url.removeprefix("/static/")), url


def _import_map() -> tuple[dict[str, str], dict[str, str]]:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    (text,) = re.findall(r'<script type="importmap">(.*?)</script>', page, re.S)
    found = json.loads(text)
    return found["imports"], found["integrity"]


# What makes a module load another, or fetch: static and dynamic imports, and fetch().
IMPORTS = re.compile(
    r"""^\s*import\b[^;'"`]*?\bfrom\s*["']([^"']+)["']"""
    r"""|^\s*import\s*["']([^"']+)["']"""
    r"""|\bimport\s*\(\s*["'`]([^"'`]+)["'`]"""
    r"""|\bfetch\s*\(\s*["'`]([^"'`]+)["'`]""",
    re.M,
)
# Any text in a module that names another host (namespace URIs are names, never fetched).
HOSTS = re.compile(r"""["'`]((?:https?:)?//[^"'`]*)""")
NAMESPACES = re.compile(r"http://www\.w3\.org/(1998/Math/MathML|1999/xhtml|2000/svg)")


def test_the_pages_script_modules_and_all_they_import_come_from_this_server():
    """From the page's module, every module reachable by its imports: each one a file of the
    package (through the import map for the bare names), none on another host."""
    imports, _ = _import_map()
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    (entry,) = re.findall(r'<script type="module" src="([^"]+)"></script>', page)
    seen, todo, outside = set(), [entry], []
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        path = STATIC / url.removeprefix("/static/")
        assert url.startswith("/static/") and path.is_file(), url
        text = path.read_text(encoding="utf-8")
        outside += [f"{url}: {h}" for h in HOSTS.findall(text) if not NAMESPACES.fullmatch(h)]
        for target in (next(g for g in m if g) for m in IMPORTS.findall(text)):
            if re.match(r"(?i)^(https?:)?//", target):
                outside.append(f"{url}: {target}")
            elif target in imports:
                todo.append(imports[target])
            elif target.startswith("."):
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(url), target)))
            else:
                assert target.startswith("/"), f"{url}: {target} is neither mapped nor a path"
                if not target.startswith("/static/"):
                    continue  # an API path (/graphql, /session) the page calls, not a module
                todo.append(target)
    assert outside == []
    app = {p.relative_to(STATIC).as_posix() for p in (STATIC / "app").glob("*.js")}
    assert {u.removeprefix("/static/") for u in seen} == app | {
        v.removeprefix("/static/") for v in imports.values()
    }  # every module of the page is reached, and nothing else
