/* Shared by every live page: the Socket.IO connection with catch-up, and the renderers
   that fill the server's own <template> markup (so markup is written once, in Jinja). */
"use strict";

const Tagstory = (() => {
  /* Dates people read: "2 min ago" on a live page (kept current), the absolute time with its
     zone in the title; a story's byline keeps its date. Past a week, the date itself. */
  const absolute = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short",
  });
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
  const STEPS = [[60, "second"], [3600, "minute"], [86400, "hour"], [604800, "day"]];

  function ago(when, now = Date.now()) {
    const seconds = Math.round((when - now) / 1000);
    if (Math.abs(seconds) < 45) return seconds > 5 ? absolute.format(when) : "just now";
    if (Math.abs(seconds) >= 604800) return absolute.format(when);
    const [, unit] = STEPS.find(([limit]) => Math.abs(seconds) < limit);
    const size = { second: 1, minute: 60, hour: 3600, day: 86400 }[unit];
    return relative.format(Math.round(seconds / size), unit);
  }

  function localizeTimes(root) {
    root.querySelectorAll("time[datetime]").forEach((el) => {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.title = absolute.format(when);
      el.textContent = el.closest(".byline") ? absolute.format(when) : ago(when);
    });
  }

  setInterval(() => localizeTimes(document), 30_000);

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

  /* The page's one live region: connection trouble (shown) and counts such as "3 new posts"
     (read out, not shown: the page shows them its own way). */
  function announce(text, { visible = false } = {}) {
    const status = document.getElementById("live-status");
    if (!status) return;
    status.textContent = text;
    status.hidden = !text;
    status.classList.toggle("visually-hidden", !visible);
  }

  /* One Socket.IO connection per page, however many rooms it follows. Each room keeps its
     own last seq; frames of a room that come before its join's acknowledgement are kept
     and applied after the acknowledgement's events, in seq order, with no gap and no
     duplicate. On reconnect every room joins again from where it is. */
  const live = (() => {
    let socket = null;
    const followers = [];
    const early = new Map();  // server room -> events framed before that room's join was acknowledged
    let joining = 0;  // joins waiting for their acknowledgement

    const say = (text) => announce(text, { visible: true });

    function apply(follower, events) {
      for (const e of events) {
        if (e.data.seq <= follower.last) continue;  // already applied (from the acknowledgement)
        follower.last = e.data.seq;
        follower.onEvent(e.event, e.data);
      }
      document.body.dataset.lastSeq = String(Math.max(...followers.map((f) => f.last)));
    }

    function settle() {
      joining = Math.max(0, joining - 1);  // an acknowledgement from before a reconnect counts for nothing
      if (joining === 0) early.clear();  // frames of rooms no join is waiting for
    }

    function join(follower) {
      joining += 1;
      socket.emit("join", { ...follower.room, after: follower.last, frames: true }, (ack) => {
        if (ack && ack.retry_after) { setTimeout(() => { settle(); join(follower); }, ack.retry_after * 1000); return; }
        if (!ack || !ack.ok) { settle(); say(ack ? ack.error : "Could not follow live updates."); return; }
        apply(follower, ack.events);
        if (ack.more) { join(follower); settle(); return; }  // the next page; not in the room yet
        follower.serverRoom = ack.room;
        follower.joined = true;
        const kept = early.get(ack.room) || [];
        early.delete(ack.room);
        apply(follower, kept.sort((a, b) => a.data.seq - b.data.seq));
        settle();
        if (followers.every((f) => f.joined)) say("");
      });
    }

    function onFrame(frame) {
      const targets = followers.filter((f) => f.joined && f.serverRoom === frame.room);
      if (targets.length) targets.forEach((f) => apply(f, frame.events));
      else if (joining > 0) early.set(frame.room, [...(early.get(frame.room) || []), ...frame.events]);
    }

    function connection() {
      if (socket) return socket;
      socket = io({ transports: ["websocket"] });
      socket.on("connect", () => followers.forEach(join));
      socket.on("disconnect", () => {
        followers.forEach((f) => { f.joined = false; });
        early.clear();
        joining = 0;
        say("Offline: reconnecting…");
      });
      socket.on("withdrawn", (data) => {  // back to draft: no more updates of that story
        followers.filter((f) => f.room.story === data.story).forEach((f) => { f.joined = false; });
        say(data.error);
      });
      socket.on("frame", onFrame);
      return socket;
    }

    /* Follow `room` ({feed}, {feed, desk}, {story}) from seq `after`; returns the page's socket. */
    function follow(room, after, onEvent) {
      const follower = { room, last: after, onEvent, joined: false, serverRoom: null };
      followers.push(follower);
      const shared = connection();
      if (shared.connected) join(follower);
      return shared;
    }

    return { follow };
  })();

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
  return { renderItem, renderElement, fillElement, follow: live.follow, announce, api, localizeTimes };
})();
