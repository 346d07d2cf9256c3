/* The curator's desk: the live stream beside the live story; every change goes through
   the API, and the story panel is redrawn from the same events viewers get. */
"use strict";

(() => {
  const slug = document.body.dataset.story;
  const feed = document.body.dataset.feed;
  const stream = document.getElementById("stream");
  const list = document.getElementById("elements");
  const message = document.getElementById("editor-message");
  const base = `/api/stories/${encodeURIComponent(slug)}`;
  let selected = null;

  const say = (text) => { message.textContent = text; };
  const run = (promise) => promise.catch((error) => say(`Not saved: ${error.message}`));
  const indexOf = (li) => [...list.children].indexOf(li);

  function decorate(li) {
    if (!li.querySelector(":scope > .controls")) {
      li.prepend(document.getElementById("controls-template").content.firstElementChild.cloneNode(true));
    }
    li.tabIndex = 0;
    return li;
  }
  [...list.children].forEach(decorate);

  function select(li) {
    selected = selected === li ? null : li;
    for (const other of list.children) {
      const on = other === selected;
      other.classList.toggle("selected", on);
      other.querySelector('[data-action="select"]').setAttribute("aria-pressed", String(on));
    }
  }

  /* Where a new element goes: under the selected one (if it is still there), else at the end. */
  function underSelected() {
    return selected && selected.isConnected ? indexOf(selected) + 1 : undefined;
  }

  function move(li, position) {
    if (position < 0 || position >= list.children.length) return;
    run(Tagstory.api("PATCH", `${base}/elements/${li.dataset.elementId}`, { position })
      .then(() => { say(`Moved to position ${position + 1}.`); if (!li.contains(document.activeElement)) li.focus(); }));
  }

  function edit(li) {
    const field = li.dataset.type === "item" ? "annotation" : "text";
    const current = li.dataset.type === "item"
      ? li.querySelector('[data-slot="annotation-html"]').textContent
      : li.querySelector('[data-slot="text-html"]').textContent;
    const value = window.prompt(field === "annotation" ? "Annotation under this post" : "Text", current.trim());
    if (value === null) return;
    run(Tagstory.api("PATCH", `${base}/elements/${li.dataset.elementId}`, { [field]: value })
      .then(() => say("Saved.")));
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const li = button.closest("li.element");
    const action = button.dataset.action;
    if (action === "select") select(li);
    if (action === "up") move(li, indexOf(li) - 1);
    if (action === "down") move(li, indexOf(li) + 1);
    if (action === "edit") edit(li);
    if (action === "remove") run(Tagstory.api("DELETE", `${base}/elements/${li.dataset.elementId}`).then(() => say("Removed.")));
  });

  /* Keyboard: Alt+↑/↓ move, Alt+Home/End to top/bottom (from the element or any of its
     controls); on the element itself, Delete removes, Enter edits, Space selects. */
  list.addEventListener("keydown", (event) => {
    const li = event.target.closest("li.element");
    if (!li) return;
    const keys = { ArrowUp: indexOf(li) - 1, ArrowDown: indexOf(li) + 1, Home: 0, End: list.children.length - 1 };
    if (event.altKey && event.key in keys) { event.preventDefault(); move(li, keys[event.key]); }
    else if (event.target !== li) return;
    else if (event.key === "Delete") { event.preventDefault(); li.querySelector('[data-action="remove"]').click(); }
    else if (event.key === "Enter") { event.preventDefault(); edit(li); }
    else if (event.key === " ") { event.preventDefault(); select(li); }
  });

  function pin(itemId, position) {
    return run(Tagstory.api("POST", `${base}/elements`, { type: "item", item_id: itemId, position })
      .then((element) => say(`Pinned at position ${element.position + 1}.`)));
  }

  stream.addEventListener("click", (event) => {
    const button = event.target.closest("button.pin");
    if (!button) return;
    const position = underSelected();
    pin(button.closest("li").dataset.itemId, position);
  });

  document.getElementById("add-text").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = document.getElementById("new-text");
    const style = document.getElementById("new-style").value;
    const position = underSelected();
    run(Tagstory.api("POST", `${base}/elements`, { type: "text", text: text.value, style, position })
      .then(() => { text.value = ""; say("Text added."); }));
  });

  document.getElementById("meta").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    run(Tagstory.api("PATCH", base, {
      title: form.title.value, description: form.description.value, status: form.status.value,
    }).then(() => say("Story saved.")));
  });

  function streamEntry(item) {
    const li = document.createElement("li");
    li.dataset.itemId = item.id;
    li.append(Tagstory.renderItem(item));
    const button = document.createElement("button");
    button.type = "button";
    button.className = "pin";
    button.textContent = "Pin";
    li.append(button);
    return li;
  }

  document.getElementById("search").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = document.getElementById("q").value;
    run(fetch(`/api/feeds/${encodeURIComponent(feed)}/items?limit=200&q=${encodeURIComponent(q)}`)
      .then((response) => response.json())
      .then((data) => {
        stream.replaceChildren(...data.items.reverse().map(streamEntry));
        say(`${data.items.length} posts match “${q}”.`);
      }));
  });

  if (window.Sortable) {
    Sortable.create(stream, { group: { name: "story", pull: "clone", put: false }, sort: false, draggable: "li" });
    Sortable.create(list, {
      group: { name: "story", pull: false, put: true },
      draggable: "li.element",
      onAdd: (event) => {
        const itemId = event.item.dataset.itemId;
        event.item.remove();  // the server's event draws the real element
        pin(itemId, event.newIndex);
      },
      onUpdate: (event) => {
        const li = event.item;
        // Put it back; the move event from the log places it for everyone alike.
        list.insertBefore(li, list.children[event.oldIndex + (event.oldIndex > event.newIndex ? 1 : 0)] || null);
        move(li, event.newIndex);
      },
    });
  }

  Tagstory.follow({ story: slug }, Number(document.body.dataset.after), (name, data) => {
    if (name === "story") StoryView.apply(list, data, decorate);
  });
  if (feed) {
    Tagstory.follow({ feed }, Number(document.body.dataset.feedAfter), (name, data) => {
      if (name !== "item") return;
      const old = stream.querySelector(`:scope > li[data-item-id="${CSS.escape(data.item.id)}"]`);
      if (data.item.status !== "approved") { if (old) old.remove(); return; }
      if (old) old.replaceWith(streamEntry(data.item)); else stream.prepend(streamEntry(data.item));
    });
  }
})();
