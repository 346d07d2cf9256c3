"""A story embedded in another site's page (a second origin on 127.0.0.1): it follows the story
live and the host's iframe grows with it; a page that is not an embed refuses to be framed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser.conftest import Site, joined

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The event's own site</title></head>
<body><h1>Kredcrew summit, the event site</h1>
<div id="live" data-tagstory-embed="{site}/stories/{slug}/embed">
  <a href="{site}/stories/{slug}">The story</a></div>
<script async src="{site}/static/js/embed-loader.js"></script>
<iframe id="framed-page" title="A page that is not an embed" src="{site}/stories/{slug}"></iframe>
</body></html>
"""


@pytest.fixture
def host_site() -> Iterator[Callable[[str], str]]:
    """Serve a host page (another origin: another port) on 127.0.0.1; give its URL."""
    servers: list[ThreadingHTTPServer] = []

    def serve(body: str) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def _iframe_height(page: Any) -> int:
    return page.eval_on_selector("#live iframe", "f => f.getBoundingClientRect().height")


def test_an_embed_on_another_origin_updates_live_and_grows_and_a_plain_page_is_not_framed(
    site: Site, new_context: Any, host_site: Callable[[str], str]
) -> None:
    site.make_feed()
    slug = site.make_story(site.feed, title="Embedded live")["slug"]
    host = host_site(HOST_PAGE.format(site=site.url, slug=slug))
    page = new_context().new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(host)

    embed = page.wait_for_selector("#live iframe").content_frame()
    joined(embed)
    assert embed.url == f"{site.url}/stories/{slug}/embed?origin={quote(host.rstrip('/'), safe='')}"
    page.wait_for_function("() => document.querySelector('#live iframe').style.height !== '600px'")
    before = _iframe_height(page)
    assert before < 600, "the empty story's iframe did not shrink to its content"

    for n in range(4):
        site.api(
            "POST",
            f"/stories/{slug}/elements",
            {"type": "text", "text": f"Paragraph {n} of the live story, long enough to take some room."},
        )
    embed.wait_for_function("() => document.querySelectorAll('#elements > li').length === 4")
    assert "Paragraph 3" in embed.inner_text("#elements")
    page.wait_for_function(
        f"() => document.querySelector('#live iframe').getBoundingClientRect().height > {before}"
    )
    grown = _iframe_height(page)
    content = embed.evaluate("() => Math.ceil(document.documentElement.getBoundingClientRect().height)")
    assert grown == content, (grown, content)  # no inner scrollbar, no gap

    # A message from anyone but the Tagstory origin (here: the host page itself) is ignored.
    page.evaluate(
        """() => new Promise((done) => {
          window.addEventListener("message", done, { once: true });
          window.postMessage({ type: "tagstory:height", height: 9999 }, "*");
        })"""
    )
    assert _iframe_height(page) == grown

    # The story page itself (not an embed) is refused by the browser: nothing of it renders
    # (page.goto waited for the load event, which waits for that iframe too).
    refused = page.query_selector("#framed-page").content_frame()
    print("refused frame:", refused.url, console)
    assert refused.url.startswith("chrome-error://"), refused.url
    assert any("frame-ancestors 'none'" in text or "X-Frame-Options" in text for text in console), console


def test_the_embed_code_is_copied_from_the_keyboard_with_a_visible_message(
    site: Site, new_context: Any
) -> None:
    site.make_feed()
    slug = site.make_story(site.feed, title="Copy me")["slug"]
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{site.url}/stories/{slug}")
    page.focus(".embed-box summary")
    page.keyboard.press("Enter")  # opens the Embed box
    page.focus("button.copy-embed")
    page.keyboard.press("Enter")
    page.wait_for_selector(".embed-box .copied:has-text('Copied')")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.input_value(".embed-code")
    assert f'data-tagstory-embed="{site.url}/stories/{slug}/embed"' in copied
    assert "embed-loader.js" in copied
