/* The curator's desk: the live stream beside the live story; every change goes through
   the API, and the story panel is redrawn from the same events viewers get. Edits carry
   the element's version (a stale one gets a 409, never a silent overwrite); the last
   changes can be undone with their inverse operations. The story is one tab stop (a
   roving tabindex: the arrows go from element to element); each message is shown next
   to what it is about (desk-notes.js). */
"use strict";

(() => {
  const slug = document.body.dataset.story;
  const feed = document.body.dataset.feed;
  const me = document.body.dataset.me;
  const isOwner = document.body.dataset.owner === "yes";
  const list = document.getElementById("elements");
  const editorMessage = document.getElementById("editor-message");
  const empty = document.getElementById("elements-empty");
  const undoButton = document.getElementById("undo");
  const base = `/api/stories/${encodeURIComponent(slug)}`;
  const elements = new Map();  // id -> the element as the server last told us (version, raw text)
  const removed = new Set();
  const undoStack = [];
  const renamed = new Map();  // an element re-added by undo gets a new id
  let selected = null;

  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  const note = (anchor, text, options) => DeskNotes.show(anchor, text, options);
  /* A change that fails says so next to `anchor`, until read. */
  const run = (promise, anchor) => promise.catch((error) => {
    note(anchor && anchor.isConnected ? anchor : list, `Not saved: ${error.message}`, { lasting: true });
  });
  const indexOf = (li) => [...list.children].indexOf(li);
  const nodeOf = (id) => list.querySelector(`:scope > [data-element-id="${CSS.escape(id)}"]`);
  const idOf = (id) => renamed.get(id) || id;

  function remember(element) {
    if (!element || removed.has(element.id)) return;
    const known = elements.get(element.id);
    if (!known || (element.version || 0) >= (known.version || 0)) elements.set(element.id, element);
  }

  function refreshPinned() {
    const ids = new Set([...list.querySelectorAll(".item[data-item-id]")].map((a) => a.dataset.itemId));
    DeskStream.markPinned(ids);
  }

  /* ---- one tab stop for the story: the element last visited has tabindex 0 ---- */
  let rover = null;
  function rove(li) {
    rover = li;
    for (const child of list.children) child.tabIndex = child === li ? 0 : -1;
  }
  function keepRover() {
    if (!rover || !rover.isConnected) rove(list.firstElementChild);
    else rover.tabIndex = 0;
    empty.hidden = list.children.length > 0;
  }
  /* What is inside an element (its links, its action buttons) is reached through the element. */
  function tame(li) {
    li.querySelectorAll("a[href], button, input, select, textarea, [tabindex]").forEach((el) => { el.tabIndex = -1; });
    li.tabIndex = li === rover ? 0 : -1;
  }

  function decorate(li) {
    if (!li.querySelector(":scope > .controls")) {
      li.prepend(document.getElementById("controls-template").content.firstElementChild.cloneNode(true));
    }
    tame(li);
    return li;
  }
  [...list.children].forEach(decorate);
  keepRover();
  list.addEventListener("focusin", (event) => {
    const li = event.target.closest("#elements > li.element");
    if (li && li !== rover) rove(li);
  });
  document.getElementById("skip-to-story").addEventListener("click", (event) => {
    event.preventDefault();
    (rover || list).focus();
  });

  /* Bring a new (or refused duplicate) element into view, and mark it for a moment. */
  const toReveal = new Set();
  function reveal(id) {
    const li = nodeOf(id);
    if (!li) { toReveal.add(id); return; }  // its add event has not arrived yet
    toReveal.delete(id);
    li.scrollIntoView({ block: "nearest", behavior: reducedMotion.matches ? "auto" : "smooth" });
    li.classList.remove("revealed");
    void li.offsetWidth;  // restart the highlight when it is shown again
    li.classList.add("revealed");
    clearTimeout(li.revealTimer);
    li.revealTimer = setTimeout(() => li.classList.remove("revealed"), 2500);
  }

  function select(li) {
    selected = selected === li ? null : li;
    for (const other of list.children) {
      const on = other === selected;
      other.classList.toggle("selected", on);
      other.querySelector('[data-action="select"]').setAttribute("aria-pressed", String(on));
    }
  }

  /* ---- undo: each change of mine pushes the operation that reverses it ---- */
  function pushUndo(label, operation) {
    undoStack.push({ label, operation });
    if (undoStack.length > 50) undoStack.shift();
    undoButton.disabled = false;
    undoButton.title = `Undo: ${label} (Ctrl+Z)`;
  }

  function undo() {
    const last = undoStack.pop();
    undoButton.disabled = undoStack.length === 0;
    undoButton.title = undoStack.length ? `Undo: ${undoStack[undoStack.length - 1].label} (Ctrl+Z)` : "Nothing to undo";
    if (last) run(last.operation().then(() => note(undoButton, `Undone: ${last.label}.`)), undoButton);
  }

  function addElement(body, label) {
    return Tagstory.api("POST", `${base}/elements`, body).then((element) => {
      remember(element);
      pushUndo(label, () => Tagstory.api("DELETE", `${base}/elements/${idOf(element.id)}`));
      return element;
    });
  }

  function restoreBody(element) {
    const fields = { item: ["item_id", "annotation"], text: ["text", "style"], link: ["url", "title", "text"] }[element.type];
    const body = { type: element.type, position: element.position };
    for (const name of fields) body[name] = element[name];
    return body;
  }

  function removeElement(li) {
    const id = li.dataset.elementId;
    const before = { ...(elements.get(id) || {}), position: indexOf(li) };
    return run(Tagstory.api("DELETE", `${base}/elements/${id}`).then(() => {
      note(undoButton, "Removed: Undo (Ctrl+Z) puts it back.");
      if (before.type) {
        pushUndo("remove", () => Tagstory.api("POST", `${base}/elements`, restoreBody(before))
          .then((element) => { renamed.set(id, element.id); remember(element); }));
      }
    }), li);
  }

  function move(li, position) {
    const from = indexOf(li);
    if (position < 0 || position >= list.children.length || position === from) return;
    const id = li.dataset.elementId;
    run(Tagstory.api("PATCH", `${base}/elements/${id}`, { position }).then((element) => {
      remember(element);
      note(li, `Moved to position ${position + 1}.`);
      if (!li.contains(document.activeElement)) li.focus();
      pushUndo("move", () => Tagstory.api("PATCH", `${base}/elements/${idOf(id)}`, { position: from }));
    }), li);
  }

  /* ---- in-place editing with versions ---- */
  const editing = new Map();  // element id -> its update events held back while I edit it

  async function edit(li, draft) {
    const id = li.dataset.elementId;
    const element = elements.get(id);
    if (!element) { note(li, "Still loading this element; try again in a moment."); return; }
    if (editing.has(id)) return;
    const field = { item: "annotation", text: "text", link: "title" }[element.type];
    const slot = { item: "annotation-html", text: "text-html", link: "link" }[element.type];
    const plain = element.type === "link" || element.style === "heading";
    const version = element.version;  // what my edit is based on
    editing.set(id, []);
    let value;
    try {
      value = await InlineEditor.open(li.querySelector(`[data-slot="${slot}"]`),
        draft ?? (plain ? element[field] : element[`${field}_html`]),
        { plain, label: field === "annotation" ? "Annotation under this post" : "Text" });
    } finally {
      editing.get(id).forEach(applyStory);
      editing.delete(id);
      tame(li);
      if (li.isConnected) li.focus();  // the keyboard user stays on the element
    }
    if (value === null) return;
    const old = element[field];
    try {
      const saved = await Tagstory.api("PATCH", `${base}/elements/${id}`, { [field]: value, version });
      remember(saved);
      note(li, "Saved.");
      pushUndo("edit", () => Tagstory.api("PATCH", `${base}/elements/${idOf(id)}`,
        { [field]: old, version: elements.get(idOf(id))?.version }));
    } catch (error) {
      if (error.status !== 409) { note(li, `Not saved: ${error.message}`, { lasting: true }); return; }
      remember(error.body.current);
      note(li, `Conflict: ${error.message}. Their version is in the story; yours is open again: save to replace theirs.`,
        { lasting: true });
      edit(li, value);
    }
  }

  /* ---- an element's actions: A (or Shift+F10, the menu key) opens them, Esc closes ---- */
  function openActions(li) {
    li.classList.add("actions-open");
    li.querySelector(":scope > .controls button")?.focus();
  }
  function closeActions(li) {
    li.classList.remove("actions-open");
    li.focus();
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const li = button.closest("li.element");
    li.classList.remove("actions-open");
    const actions = {
      select: () => select(li),
      up: () => move(li, indexOf(li) - 1),
      down: () => move(li, indexOf(li) + 1),
      top: () => move(li, 0),
      bottom: () => move(li, list.children.length - 1),
      edit: () => edit(li),
      remove: () => removeElement(li),
    };
    actions[button.dataset.action]?.();
  });

  /* Keyboard (docs/desk.md): Alt+↑/↓ move, Alt+Home/End to top/bottom (from the element
     or its actions); on the element itself ↑/↓ go to its neighbours and Home/End to the
     first and last, Enter (or F2) edits in place, A (Shift+F10, the menu key) opens its
     actions, Space selects, Delete removes, Esc dismisses its message. In the actions,
     ←/→ go from one to the next and Esc goes back to the element. */
  list.addEventListener("keydown", (event) => {
    const li = event.target.closest("li.element");
    if (!li) return;
    const keys = { ArrowUp: indexOf(li) - 1, ArrowDown: indexOf(li) + 1, Home: 0, End: list.children.length - 1 };
    if (event.altKey && event.key in keys) { event.preventDefault(); move(li, keys[event.key]); return; }
    const control = event.target.closest(".controls button");
    if (control) {
      const buttons = [...li.querySelectorAll(":scope > .controls button")];
      const at = buttons.indexOf(control);
      const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
      if (next !== undefined) { event.preventDefault(); buttons[(next + buttons.length) % buttons.length].focus(); }
      else if (event.key === "Escape") { event.preventDefault(); closeActions(li); }
      return;
    }
    if (event.target !== li) return;
    const go = { ArrowUp: li.previousElementSibling, ArrowDown: li.nextElementSibling,
      Home: list.firstElementChild, End: list.lastElementChild };
    const menu = (event.key.toLowerCase() === "a" && !event.ctrlKey && !event.metaKey && !event.altKey) || event.key === "ContextMenu"
      || (event.shiftKey && event.key === "F10");
    if (event.key in go) { event.preventDefault(); go[event.key]?.focus(); }
    else if (event.key === "Delete") { event.preventDefault(); removeElement(li); }
    else if (event.key === "Enter" || event.key === "F2") { event.preventDefault(); edit(li); }
    else if (event.key === " ") { event.preventDefault(); select(li); }
    else if (menu) { event.preventDefault(); openActions(li); }
    else if (event.key === "Escape") { event.preventDefault(); DeskNotes.clear(li); }
  });
  list.addEventListener("focusout", (event) => {
    const li = event.target.closest("li.element.actions-open");
    if (li && !li.querySelector(".controls").contains(event.relatedTarget)) li.classList.remove("actions-open");
  });

  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (!typing && (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") { event.preventDefault(); undo(); }
  });
  undoButton.addEventListener("click", undo);

  /* ---- adding: pins, text blocks, links ---- */
  /* Pin a post (its entry in the stream gets the message); the story shows where it went. */
  function pin(itemId, position, post) {
    return addElement({ type: "item", item_id: itemId, position }, "pin").then((element) => {
      note(post, `Pinned at position ${element.position + 1}.`);
      reveal(element.id);
    }).catch((error) => {
      if (error.status === 409 && error.body.current) {
        note(post, `Not pinned again: this post is in the story already, at position ${error.body.current.position + 1}`
          + " (highlighted there).", { lasting: true });
        reveal(error.body.current.id);
      } else {
        note(post, `Not pinned: ${error.message}`, { lasting: true });
      }
    });
  }
  const underSelected = () => (selected && selected.isConnected ? indexOf(selected) + 1 : undefined);
  const streamEntry = (itemId) => document.querySelector(`#stream > li[data-item-id="${CSS.escape(itemId)}"]`);
  document.addEventListener("desk:pin", (event) => pin(event.detail.itemId, underSelected(), streamEntry(event.detail.itemId)));

  document.getElementById("add-text").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = document.getElementById("new-text");
    const style = document.getElementById("new-style").value;
    const button = event.target.querySelector("button[type=submit]");
    run(addElement({ type: "text", text: text.value, style, position: underSelected() }, "add text")
      .then((element) => { text.value = ""; note(button, `Text added at position ${element.position + 1}.`); reveal(element.id); }), button);
  });

  document.getElementById("add-link").addEventListener("submit", (event) => {
    event.preventDefault();
    const url = document.getElementById("link-url");
    const title = document.getElementById("link-title");
    const button = event.target.querySelector("button[type=submit]");
    run(addElement({ type: "link", url: url.value, title: title.value, position: underSelected() }, "add link")
      .then((element) => { url.value = ""; title.value = ""; note(button, `Link added at position ${element.position + 1}.`); reveal(element.id); }), button);
  });

  /* ---- the story's status, in the header: what viewers see ---- */
  const statusControl = document.getElementById("status-control");
  const badge = document.getElementById("viewer-badge");
  function showStatus(status) {
    for (const button of statusControl.querySelectorAll("button[data-status]")) {
      button.setAttribute("aria-pressed", String(button.dataset.status === status));
    }
    badge.dataset.status = status;
    badge.querySelector(".badge-word").textContent = badge.dataset[`${status}Word`];
    badge.querySelector(".badge-text").textContent = badge.dataset[`${status}Text`];
  }
  statusControl.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-status]");
    if (!button || button.getAttribute("aria-pressed") === "true") return;
    const before = badge.dataset.status;
    const status = button.dataset.status;
    run(Tagstory.api("PATCH", base, { status }).then(() => {
      showStatus(status);
      note(statusControl, `Now ${status}: ${badge.dataset[`${status}Text`]}.`);
      pushUndo(`status ${status}`, () => Tagstory.api("PATCH", base, { status: before }).then(() => showStatus(before)));
    }), statusControl);
  });

  /* ---- the story's details: title, description, cover, feed ---- */
  const metaForm = document.getElementById("meta");
  const metaSave = document.getElementById("meta-save");
  const coverPreview = document.getElementById("cover-preview");
  const metaFields = ["title", "description", "cover"];
  const metaValues = () => Object.fromEntries(metaFields.map((name) => [name, metaForm[name].value]));
  let metaNow = metaValues();

  function showCover(url) {
    const safe = /^https?:\/\//i.test(url || "");
    coverPreview.hidden = !safe;
    if (safe) coverPreview.src = url; else coverPreview.removeAttribute("src");
  }
  metaForm.cover.addEventListener("input", () => showCover(metaForm.cover.value));
  document.getElementById("cover-from-selected").addEventListener("click", () => {
    const element = selected && elements.get(selected.dataset.elementId);
    const media = element && element.item && element.item.media && element.item.media[0];
    const button = document.getElementById("cover-from-selected");
    if (!media) { note(button, "Select a pinned post with a picture first."); return; }
    metaForm.cover.value = media.url;
    showCover(media.url);
    note(button, "Cover set from the selected post; save to keep it.");
  });

  metaForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const before = metaNow;
    const after = metaValues();
    const newFeed = metaForm.feed.value && metaForm.feed.value !== feed ? metaForm.feed.value : null;
    run(Tagstory.api("PATCH", base, newFeed ? { ...after, feed: newFeed } : after).then(() => {
      metaNow = after;
      if (newFeed) { location.reload(); return; }  // the stream follows the new feed
      note(metaSave, "Story saved.");
      pushUndo("story details", () => Tagstory.api("PATCH", base, before).then(() => { metaNow = before; }));
    }), metaSave);
  });

  function applyMeta(meta) {
    if (meta.status) showStatus(meta.status);
    if (meta.title) document.getElementById("editor-title").textContent = meta.title;
    if (meta.feed && meta.feed !== feed) {
      note(document.getElementById("stream-status"), `This story now follows the feed ${meta.feed}.`,
        { lasting: true, action: { label: "Reload its stream", run: () => location.reload() } });
    }
    for (const [name, value] of Object.entries(meta)) {
      if (metaFields.includes(name) && document.activeElement !== metaForm[name]) {
        metaForm[name].value = value ?? "";
        metaNow = { ...metaNow, [name]: value ?? "" };
        if (name === "cover") showCover(value);
      }
    }
    if (meta.curators) showCurators(meta.curators);
  }

  /* ---- curators: roles and presence ---- */
  const editorsList = document.getElementById("editors");
  const owner = document.body.dataset.storyOwner;

  function showCurators(names) {
    editorsList.replaceChildren(...names.map((name) => {
      const li = document.createElement("li");
      li.dataset.name = name;
      li.textContent = name === owner ? `${name} (owner)` : name;
      if (isOwner && name !== owner) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link-button";
        button.dataset.remove = name;
        button.textContent = "remove";
        li.append(" ", button);
      }
      return li;
    }));
  }

  editorsList.addEventListener("click", (event) => {
    const name = event.target.dataset.remove;
    if (name) {
      run(Tagstory.api("DELETE", `${base}/editors/${encodeURIComponent(name)}`)
        .then(() => note(editorsList, `${name} can no longer edit this story.`)), editorsList);
    }
  });
  const invite = document.getElementById("invite");
  if (invite) {
    invite.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = document.getElementById("invite-name");
      run(Tagstory.api("POST", `${base}/editors`, { name: name.value.trim() })
        .then(() => { note(invite, `${name.value.trim()} can now edit this story.`); name.value = ""; }), invite);
    });
  }

  function showPresence(names) {
    const others = names.filter((name) => name !== me);
    document.getElementById("presence").textContent = others.length ? `Also editing now: ${others.join(", ")}` : "Nobody else is editing.";
    document.body.dataset.editing = names.join(",");
  }

  function lockOut() {
    document.body.classList.add("revoked");
    document.querySelectorAll(".desk button, .desk input, .desk textarea, .desk select, #status-control button").forEach((el) => { el.disabled = true; });
    editorMessage.textContent = "The owner removed you from this story's editors: your changes are no longer accepted.";
  }

  /* ---- history from the event log ---- */
  const history = document.getElementById("history");
  history.addEventListener("toggle", () => {
    if (!history.open) return;
    run(Tagstory.api("GET", `${base}/history`).then((entries) => {
      document.getElementById("history-list").replaceChildren(...entries.map((entry) => {
        const li = document.createElement("li");
        const time = document.createElement("time");
        time.dateTime = entry.at;
        time.textContent = new Date(entry.at).toLocaleString();
        const what = entry.op === "meta"
          ? `changed ${Object.keys(entry.meta || {}).join(", ")}`
          : `${entry.op} ${entry.type || "element"}${entry.position != null ? ` at ${entry.position + 1}` : ""}`;
        li.append(time, ` ${entry.actor || "someone"} ${what}`);
        return li;
      }));
    }), history);
  });

  /* ---- drag and drop (SortableJS) ---- */
  if (window.Sortable) {
    Sortable.create(document.getElementById("stream"), { group: { name: "story", pull: "clone", put: false }, sort: false, draggable: "li" });
    Sortable.create(list, {
      group: { name: "story", pull: false, put: true },
      draggable: "li.element",
      onAdd: (event) => {
        const itemId = event.item.dataset.itemId;
        event.item.remove();  // the server's event draws the real element
        pin(itemId, event.newIndex, streamEntry(itemId));
      },
      onUpdate: (event) => {
        const li = event.item;
        // Put it back; the move event from the log places it for everyone alike.
        list.insertBefore(li, list.children[event.oldIndex + (event.oldIndex > event.newIndex ? 1 : 0)] || null);
        move(li, event.newIndex);
      },
    });
  }

  /* ---- live: the story's events, presence, and the feed's items ---- */
  function applyStory(data) {
    if (data.op === "meta") { applyMeta(data.meta); return; }
    if (data.op === "reset") { applyMeta(data.meta); list.replaceChildren(); selected = null; refreshPinned(); keepRover(); return; }
    if (data.op === "update" && editing.has(data.element.id)) { editing.get(data.element.id).push(data); return; }
    StoryView.apply(list, data, decorate);
    if (data.op === "remove") { elements.delete(data.element.id); removed.add(data.element.id); }
    else remember(data.element);
    const li = data.op !== "remove" && nodeOf(data.element.id);
    if (li && !editing.has(data.element.id)) tame(li);  // an update redraws its links
    if (li && toReveal.has(data.element.id)) reveal(data.element.id);
    if (selected && !selected.isConnected) selected = null;
    keepRover();
    refreshPinned();
  }

  const storySocket = Tagstory.follow({ story: slug }, Number(document.body.dataset.after), (name, data) => {
    if (name === "story") applyStory(data);
  });
  storySocket.on("connect", () => storySocket.emit("editing", { story: slug }, (ack) => {
    if (ack && ack.ok) showPresence(ack.editors); else lockOut();
  }));
  storySocket.on("presence", (data) => showPresence(data.editors));
  storySocket.on("revoked", lockOut);
  // Only a revocation makes the server drop an editor's socket (the `revoked` packet may be lost with it).
  storySocket.on("disconnect", (reason) => { if (reason === "io server disconnect") lockOut(); });

  if (feed) {
    Tagstory.follow({ feed }, Number(document.body.dataset.feedAfter), (name, data) => {
      if (name === "item") DeskStream.arrive(data.item);
    });
  }

  Tagstory.api("GET", base).then((story) => { story.elements.forEach(remember); refreshPinned(); });
  refreshPinned();
})();
