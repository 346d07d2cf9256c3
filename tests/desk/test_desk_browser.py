"""The desk in a real browser: drag a post into the story, reorder by keyboard, two curators
at once, and a moderator hiding a post that a viewer's feed then loses without reload."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.conftest import ARTIFACTS, PASSWORD, wait_for


class Desk:
    """A live server with curators ada (owner of story `s`) and bea, a feed `demo` with posts."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.url = server.url
        for name in ("ada", "bea"):
            server.cli("create-curator", name, "--password", PASSWORD)
        token = server.cli("create-token", "ada").strip().splitlines()[-1]
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Bearer {token}"
        self.call("POST", "/api/feeds", {"name": "demo", "query": "#demo", "sources": []})
        self.items = [
            self.call(
                "POST",
                "/api/feeds/demo/items",
                {"text": f"Post number {n}", "author": {"name": f"Author {n}"}},
            )
            for n in range(6)
        ]
        self.call("POST", "/api/stories", {"title": "S", "feed": "demo", "slug": "s", "status": "live"})
        for text in ("First block", "Second block", "Third block"):
            self.call("POST", "/api/stories/s/elements", {"type": "text", "text": text})
        self.call("POST", "/api/stories/s/editors", {"name": "bea"})

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.api.request(method, self.url + path, json=body, timeout=10)
        assert response.ok, response.text
        return response.json() if response.content else None

    def order(self) -> list[str]:
        """The story's elements as the server has them: text, or the pinned post's text."""
        elements = self.call("GET", "/api/stories/s")["elements"]
        return [e.get("text") or e["item"]["text"] for e in elements]


@pytest.fixture
def desk(live_server: Any) -> Desk:
    return Desk(live_server())


@pytest.fixture
def contexts(browser: Any) -> Any:
    """New browser contexts (separate cookies), closed afterwards."""
    made = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**options)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def _login(context: Any, desk: Desk, name: str, path: str) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.goto(f"{desk.url}/login?next={path}")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{desk.url}{path}")
    return page


def _dom_order(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#elements > li.element",
        "els => els.map(li => (li.querySelector('[data-slot=text-html], .item-text') || li)"
        ".innerText.trim())",
    )


def _editor(contexts: Any, desk: Desk, name: str = "ada", **options: Any) -> Any:
    page = _login(contexts(**options), desk, name, "/stories/s/edit")
    wait_for(lambda: page.evaluate("() => document.body.dataset.editing !== undefined"))
    return page


def test_dragging_a_post_into_the_middle_of_the_story(contexts, desk):
    page = _editor(contexts, desk)
    post = page.locator("#stream > li", has_text="Post number 2")
    target = page.locator("#elements > li.element").nth(1)
    post.drag_to(target, target_position={"x": 40, "y": 6})
    expected = ["First block", "Post number 2", "Second block", "Third block"]
    wait_for(lambda: desk.order() == expected)
    wait_for(lambda: _dom_order(page) == expected)
    assert page.locator("#stream > li.pinned", has_text="Post number 2").count() == 1
    assert page.errors == []


def test_reordering_the_story_by_keyboard_only(contexts, desk):
    page = _editor(contexts, desk)
    page.locator("#elements > li.element").first.focus()
    page.keyboard.press("Alt+ArrowDown")
    wait_for(lambda: desk.order() == ["Second block", "First block", "Third block"])
    wait_for(lambda: _dom_order(page) == desk.order())  # the page moved it too: keys go where we think
    page.keyboard.press("Alt+End")
    wait_for(lambda: desk.order() == ["Second block", "Third block", "First block"])
    wait_for(lambda: _dom_order(page) == desk.order())
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Alt+Home")
    wait_for(lambda: desk.order() == ["Third block", "Second block", "First block"])
    wait_for(lambda: _dom_order(page) == desk.order())
    page.keyboard.press("Control+z")
    wait_for(lambda: desk.order() == ["Second block", "Third block", "First block"])
    page.click("#history > summary")
    wait_for(lambda: page.locator("#history-list li").count() >= 7)
    assert "ada move text" in page.inner_text("#history-list li >> nth=0")
    assert page.errors == []


def test_new_posts_wait_above_the_stream_until_shown(contexts, desk):
    page = _editor(contexts, desk)
    first = page.locator("#stream > li").first.get_attribute("data-item-id")
    for n in (6, 7):
        desk.call("POST", "/api/feeds/demo/items", {"text": f"Late post {n}", "author": {"name": "Late"}})
    wait_for(lambda: page.inner_text("#show-new") == "2 new — show")
    assert page.locator("#stream > li").first.get_attribute("data-item-id") == first
    page.click("#show-new")
    assert page.locator("#stream > li").first.inner_text().count("Late post 7") == 1
    assert page.is_hidden("#show-new")
    page.check("input[name=unpinned]")
    page.fill("#q", "late")
    page.keyboard.press("Enter")
    wait_for(lambda: page.locator("#stream > li").count() == 2)


def test_two_curators_editing_at_once_converge_to_the_same_order(contexts, desk):
    ada = _editor(contexts, desk, "ada")
    bea = _editor(contexts, desk, "bea")
    wait_for(lambda: "bea" in ada.text_content("#presence"))
    wait_for(lambda: "ada" in bea.text_content("#presence"))
    ada.locator("#elements > li.element").nth(0).focus()
    bea.locator("#elements > li.element").nth(2).focus()
    ada.keyboard.press("Alt+End")
    bea.keyboard.press("Alt+Home")
    bea.locator("#stream > li", has_text="Post number 4").locator("button.pin").click()
    ada.locator("#stream > li", has_text="Post number 5").locator("button.pin").click()
    wait_for(lambda: len(desk.order()) == 5)
    final = desk.order()
    wait_for(lambda: _dom_order(ada) == final)
    wait_for(lambda: _dom_order(bea) == final)
    assert ada.errors == [] and bea.errors == []


def test_a_stale_edit_in_the_browser_is_a_clear_conflict(contexts, desk):
    page = _editor(contexts, desk)
    page.locator("#elements > li.element").first.focus()
    page.keyboard.press("Enter")
    editor = page.locator(".inline-editor")
    editor.click()
    page.keyboard.press("End")
    page.keyboard.type(" — mine")
    first = desk.call("GET", "/api/stories/s")["elements"][0]
    desk.call(
        "PATCH", f"/api/stories/s/elements/{first['id']}", {"text": "Theirs", "version": first["version"]}
    )
    page.locator("[data-format=save]").click()
    conflict = page.locator("#elements > li.element").first.locator(".note.lasting")  # next to it, until read
    conflict.wait_for()
    assert "Conflict" in conflict.text_content()
    assert desk.order()[0] == "Theirs"
    page.locator("[data-format=save]").click()
    wait_for(lambda: desk.order()[0].endswith("— mine"))


def test_removing_an_editor_locks_their_open_editor(contexts, desk):
    bea = _editor(contexts, desk, "bea")
    desk.call("DELETE", "/api/stories/s/editors/bea")
    wait_for(lambda: "removed you" in bea.text_content("#editor-message"))
    assert bea.locator("#undo").is_disabled()
    assert bea.locator('#status-control button[data-status="published"]').is_disabled()  # the header too


def test_a_hidden_post_leaves_the_viewers_feed_without_reload(contexts, desk):
    viewer = contexts().new_page()
    viewer.goto(f"{desk.url}/feeds/demo")
    wait_for(lambda: viewer.evaluate("() => document.body.dataset.lastSeq !== undefined"))
    target = desk.items[3]
    viewer.evaluate(
        """id => new MutationObserver((_, observer) => {
               if (!document.querySelector(`.item[data-item-id="${id}"]`)) {
                   window.goneAt = Date.now(); observer.disconnect();
               }
           }).observe(document.getElementById('items'), {childList: true, subtree: true})""",
        target["id"],
    )
    moderator = _login(contexts(), desk, "ada", "/feeds/demo/moderate")
    wait_for(lambda: moderator.evaluate("() => document.body.dataset.lastSeq !== undefined"))
    button = moderator.locator(f'li[data-item-id="{target["id"]}"] button[data-status="hidden"]')
    clicked_at = button.evaluate("b => { const t = Date.now(); b.click(); return t; }")
    gone_at = wait_for(lambda: viewer.evaluate("window.goneAt"))
    print(f"\nmoderator click -> viewer's feed lost the post: {gone_at - clicked_at} ms")
    assert viewer.locator(".item", has_text="Post number 3").count() == 0
    assert viewer.locator(".item", has_text="Post number 2").count() == 1
    wait_for(lambda: moderator.locator("#hidden li", has_text="Post number 3").count() == 1)
    wait_for(lambda: moderator.text_content("#count-hidden") == "1")


def test_a_pin_reaches_a_viewers_story_live(contexts, desk):
    viewer = contexts().new_page()
    viewer.goto(f"{desk.url}/stories/s")
    wait_for(lambda: viewer.evaluate("() => document.body.dataset.lastSeq !== undefined"))
    viewer.evaluate(
        """() => new MutationObserver((_, observer) => {
               if (document.querySelector('#elements .item')) {
                   window.pinnedAt = Date.now(); observer.disconnect();
               }
           }).observe(document.getElementById('elements'), {childList: true, subtree: true})"""
    )
    page = _editor(contexts, desk)
    button = page.locator("#stream > li", has_text="Post number 1").locator("button.pin")
    clicked_at = button.evaluate("b => { const t = Date.now(); b.click(); return t; }")
    shown_at = wait_for(lambda: viewer.evaluate("window.pinnedAt"))
    print(f"\ncurator pin click -> viewer's story shows the post: {shown_at - clicked_at} ms")


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_editor_screenshots(contexts, desk, size):
    width, height = size
    page = _editor(contexts, desk, viewport={"width": width, "height": height})
    page.locator("#stream > li", has_text="Post number 1").locator("button.pin").click()
    wait_for(lambda: page.locator("#elements .item").count() == 1)
    page.evaluate("() => { document.querySelector('.stream-panel').scrollTop = 0; window.scrollTo(0, 0); }")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"editor-{width}x{height}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 0


def test_a_story_built_with_the_keyboard_only(contexts, desk):
    for element in desk.call("GET", "/api/stories/s")["elements"]:
        desk.call("DELETE", f"/api/stories/s/elements/{element['id']}")
    page = _editor(contexts, desk)
    page.focus("#new-text")
    page.keyboard.type("Opening words")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the style select: Heading
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    wait_for(lambda: desk.order() == ["Opening words"])
    page.locator("#stream > li", has_text="Post number 1").focus()
    page.keyboard.press("p")
    page.keyboard.press("ArrowDown")  # the next (older) post
    page.keyboard.press("p")
    wait_for(lambda: desk.order() == ["Opening words", "Post number 1", "Post number 0"])
    page.locator("#elements > li.element").first.focus()
    page.keyboard.press("Space")  # select: the next pin goes under it
    page.locator("#stream > li", has_text="Post number 4").focus()
    page.keyboard.press("Enter")
    wait_for(lambda: desk.order() == ["Opening words", "Post number 4", "Post number 1", "Post number 0"])
    assert desk.call("GET", "/api/stories/s")["elements"][0]["style"] == "heading"
    assert page.errors == []


def test_formatting_in_place_is_kept_and_sanitized(contexts, desk):
    page = _editor(contexts, desk)
    page.locator("#elements > li.element").nth(1).focus()
    page.keyboard.press("Enter")
    editor = page.locator(".inline-editor")
    editor.click()
    page.keyboard.press("Control+a")
    page.locator("[data-format=bold]").click()
    page.keyboard.press("End")
    page.keyboard.type(" <script>alert(1)</script>")
    page.keyboard.press("Control+Enter")
    wait_for(lambda: "<b>" in desk.call("GET", "/api/stories/s")["elements"][1]["text_html"])
    html = desk.call("GET", "/api/stories/s")["elements"][1]["text_html"]
    assert "<script" not in html and "&lt;script&gt;" in html
    wait_for(lambda: page.locator("#elements > li.element").nth(1).locator("b").count() == 1)
    assert page.errors == []
