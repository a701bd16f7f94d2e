"""GraphiQL in Debian's Chromium with every host but this machine cut off, as a center's
offline network would be: /graphql in development mode (which `make demo` serves) is a
working explorer."""

from pathlib import Path

import pytest

from api.app import create_app
from api.settings import Settings


@pytest.mark.slow
def test_a_browser_cut_off_from_the_internet_runs_a_query_in_graphiql(
    tmp_path, demo_graph, browser, live_server, offline
):
    settings = Settings(_env_file=None, tokens=str(tmp_path / "t.json"), mode="development")
    app = create_app(settings, backend=demo_graph)
    with live_server(app) as url:
        page = browser.new_page()
        tried = offline(page)
        page.goto(url + "/graphql")
        page.click(".graphiql-execute-button", timeout=30_000)
        result = page.locator(".result-window")
        result.filter(has_text="totalCount").wait_for(timeout=30_000)
        page.screenshot(path=str(Path(tmp_path) / "graphiql.png"))
        shown = result.inner_text()
        assert page.url == url + "/graphql"
        page.close()
    assert '"totalCount": 10558' in shown  # 嘉善's 464 grids and 10,094 micro-grids
    assert '"id": "330421-G0001"' in shown
    assert tried == []
