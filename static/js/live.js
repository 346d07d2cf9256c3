/* Shared by every live page: the Socket.IO connection with catch-up, and the renderers
   that fill the server's own <template> markup (so markup is written once, in Jinja). */
"use strict";

const Tagstory = (() => {
  const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

  function localizeTimes(root) {
    root.querySelectorAll("time[datetime]").forEach((el) => {
      const when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when) && !el.closest(".byline")) {
        el.textContent = timeFormat.format(when);
        el.title = when.toISOString();
      }
    });
  }

  const sourceLabels = JSON.parse(document.body.dataset.sourceLabels || "{}");
  const removedTexts = JSON.parse(document.body.dataset.removedTexts || "{}");

  /* The placeholder of a pinned post withheld from viewers: removed by its author, hidden by the curators. */
  function removedNote(removed) {
    const note = document.createElement("p");
    note.className = "item-removed";
    note.dataset.removed = removed;
    note.textContent = removedTexts[removed] || "This post is not shown.";
    return note;
  }

  function slot(root, name) {
    return root.querySelector(`[data-slot="${name}"]`);
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function setLink(el, url) {
    const safe = safeUrl(url);
    if (safe) el.href = safe; else el.removeAttribute("href");
    return safe;
  }

  /* An item card from the <template id="item-template">; `html` is sanitized by the server. */
  function renderItem(item) {
    const fragment = document.getElementById("item-template").content.cloneNode(true);
    const card = fragment.querySelector(".item");
    card.dataset.itemId = item.id;
    card.dataset.createdAt = item.created_at;
    card.classList.toggle("synthetic", !!item.synthetic);
    card.classList.toggle("featured", !!item.featured);
    const avatar = slot(card, "avatar");
    const initials = slot(card, "initials");
    if (safeUrl(item.author.avatar)) { avatar.src = item.author.avatar; avatar.hidden = false; initials.hidden = true; }
    initials.textContent = (item.author.name || item.author.handle || "?").split(/\s+/).filter(Boolean)
      .slice(0, 2).map((word) => [...word][0]).join("").toUpperCase();
    slot(card, "author-name").textContent = item.author.name;
    const handle = slot(card, "author-handle");
    handle.textContent = item.author.handle ? `@${item.author.handle}` : "";
    handle.hidden = !item.author.handle;
    setLink(handle, item.author.url);
    slot(card, "html").innerHTML = item.html;
    const media = slot(card, "media");
    for (const m of item.media || []) {
      const url = safeUrl(m.url);
      if (!url) continue;
      const a = document.createElement("a");
      a.href = url;
      a.rel = "noopener noreferrer";
      const img = document.createElement("img");
      img.src = safeUrl(m.preview) || url;
      img.alt = m.alt || "";
      img.loading = "lazy";
      a.append(img);
      media.append(a);
    }
    const time = slot(card, "time");
    time.setAttribute("datetime", item.created_at);
    slot(card, "source").textContent = sourceLabels[item.source] || item.source;
    slot(card, "synthetic").hidden = !item.synthetic;
    const original = slot(card, "url");
    original.hidden = !setLink(original, item.url);
    localizeTimes(fragment);
    return fragment.firstElementChild;
  }

  /* A story element from <template id="element-template">. */
  function renderElement(element) {
    const li = document.getElementById("element-template").content.firstElementChild.cloneNode(true);
    li.dataset.elementId = element.id;
    li.dataset.type = element.type;
    li.className = `element element-${element.type}`;
    const keep = { text: "text-html", item: "item", link: "link" }[element.type];
    for (const name of ["text-html", "item", "annotation-html", "link"]) {
      const el = slot(li, name);
      if (el && name !== keep && !(element.type === "item" && name === "annotation-html")) el.remove();
    }
    fillElement(li, element);
    return li;
  }

  function fillElement(li, element) {
    if (element.type === "text") {
      const box = slot(li, "text-html");
      box.className = `text-block ${element.style}`;
      if (element.style === "heading") {
        const h = document.createElement("h2");
        h.textContent = element.text;
        box.replaceChildren(h);
      } else {
        box.innerHTML = element.text_html;
      }
    } else if (element.type === "item") {
      const box = slot(li, "item");
      const hasContent = element.item && !(element.removed && (element.item.deleted || !element.item.html));
      box.replaceChildren(...(element.removed ? [removedNote(element.removed)] : []),
        ...(hasContent ? [renderItem(element.item)] : []));
      const note = slot(li, "annotation-html");
      note.innerHTML = element.annotation_html || "";
      note.hidden = !element.annotation_html;
    } else if (element.type === "link") {
      const box = slot(li, "link");
      const a = document.createElement("a");
      setLink(a, element.url);
      a.rel = "noopener noreferrer";
      a.textContent = element.title || element.url;
      box.replaceChildren(a);
      if (element.text) {
        const p = document.createElement("p");
        p.textContent = element.text;
        box.append(p);
      }
    }
  }

  /* Follow a room: join with the last seq we have, apply the missed events from the
     acknowledgement, then live ones as frames (every event of one server tick, in seq
     order); on reconnect, join again from where we are. */
  function follow(room, after, onEvent) {
    let last = after;
    let joined = false;
    let early = [];  // frames that reach us between entering the room and the acknowledgement
    const status = document.getElementById("live-status");
    const say = (text) => { if (status) { status.textContent = text; status.hidden = !text; } };
    // A curators' page (desk, editor, insight) sets Tagstory.curator: nginx sends its socket to
    // the primary; viewers' sockets may go to edge nodes (docs/deploy.md).
    const socket = io({ transports: ["websocket"], query: exported.curator ? { curator: "1" } : {} });
    const apply = (name, data) => {
      if (data.seq <= last) return;  // already applied (never expected, but harmless)
      last = data.seq;
      onEvent(name, data);
    };
    const applyAll = (events) => {
      events.forEach((e) => apply(e.event, e.data));
      document.body.dataset.lastSeq = String(last);
    };
    const join = () => {
      socket.emit("join", { ...room, after: last, frames: true }, (ack) => {
        if (ack && ack.retry_after) { setTimeout(join, ack.retry_after * 1000); return; }  // paging too fast
        if (ack && ack.reload) { location.reload(); return; }  // older than the edges keep: the primary renders it
        if (!ack || !ack.ok) { say(ack ? ack.error : "Could not follow live updates."); return; }
        applyAll(ack.events);
        if (ack.more) { join(); return; }
        joined = true;
        early.forEach(applyAll);
        early = [];
        document.body.dataset.lastSeq = String(last);
        say("");
      });
    };
    socket.on("connect", join);
    socket.on("disconnect", () => { joined = false; early = []; say("Offline: reconnecting…"); });
    socket.on("reload", () => location.reload());  // the edge fell behind what it keeps: never skip events
    socket.on("withdrawn", (data) => { joined = false; say(data.error); });  // back to draft: no more updates
    socket.on("frame", (frame) => {
      if (joined) applyAll(frame.events); else early.push(frame.events);
    });
    return socket;
  }

  function csrfToken() {
    return document.querySelector('meta[name="csrf-token"]').content;
  }

  /* Call the JSON API as the logged-in curator; resolves to the parsed body or throws its error. */
  async function api(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) {
      const error = new Error(data.error || response.statusText);
      error.status = response.status;
      error.body = data;  // a 409 carries the `current` state
      throw error;
    }
    return data;
  }

  localizeTimes(document);
  const exported = { renderItem, renderElement, fillElement, follow, api, localizeTimes, curator: false };
  return exported;
})();
