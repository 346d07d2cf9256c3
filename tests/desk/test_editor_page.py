"""The editor's page as served (issue 11): a level-one heading, the status control and what
viewers see in its header, a skip link to the story, and one tab stop for the stream."""

from __future__ import annotations

import re


def test_the_editor_has_its_title_status_and_badge_in_its_header(curator_client, story, post):
    post(1)
    post(2)
    owner, _headers = curator_client("owner")
    page = owner.get("/stories/s/edit").get_data(as_text=True)
    header = page[page.index('<header class="editor-header">') : page.index('<div class="desk">')]
    assert re.findall(r"<h1[^>]*>([^<]*)</h1>", page) == ["S"]
    pressed = re.findall(r'data-status="(\w+)" aria-pressed="(\w+)"', header)
    assert pressed == [("draft", "true"), ("live", "false"), ("published", "false")]
    assert 'id="viewer-badge" data-status="draft"' in header and "viewers see nothing yet" in header
    assert 'class="skip-link" id="skip-to-story" href="#elements"' in page


def test_the_stream_and_the_element_actions_are_not_one_tab_stop_each(curator_client, story, post):
    for n in range(3):
        post(n)
    owner, _headers = curator_client("owner")
    page = owner.get("/stories/s/edit").get_data(as_text=True)
    stream = page[page.index('<ol class="items stream"') : page.index("</ol>", page.index('id="stream"'))]
    stops = re.findall(r'<li data-item-id="[^"]+" data-seq="\d+" tabindex="(-?\d)"', stream)
    assert stops == ["0", "-1", "-1"]
    assert stream.count('class="pin" tabindex="-1"') == 3
    controls = page[page.index('<template id="controls-template">') :]
    controls = controls[: controls.index("</template>")]
    assert controls.count("<button") == controls.count('tabindex="-1"') == 7
    assert 'id="history-list" tabindex="0"' in page  # a scrolling list a keyboard can reach
