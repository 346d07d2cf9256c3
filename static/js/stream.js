/* The editor's stream panel: search and filters through the items API, "load older"
   paging, and live arrivals held above the list ("12 new — show") so nothing the curator
   is looking at moves. Pinning is announced with a `desk:pin` event for edit.js. The
   stream is one tab stop: ↑/↓ (Home/End) go from post to post, P or Enter pins. */
"use strict";

const DeskStream = (() => {
  const PAGE = 50;
  const feed = document.body.dataset.feed;
  const slug = document.body.dataset.story;
  const stream = document.getElementById("stream");
  const form = document.getElementById("search");
  const showNew = document.getElementById("show-new");
  const older = document.getElementById("load-older");
  const status = document.getElementById("stream-status");
  const base = `/api/feeds/${encodeURIComponent(feed)}/items`;
  let pinned = new Set();

  const say = (text) => { status.textContent = text; };

  /* The post last visited is the stream's one tab stop; its links and Pin button are not stops. */
  function rove(li) {
    for (const child of stream.children) child.tabIndex = child === li ? 0 : -1;
  }
  function keepRover() {
    if (![...stream.children].some((li) => li.tabIndex === 0)) rove(stream.firstElementChild);
  }
  const tame = (li) => li.querySelectorAll("a[href], button").forEach((el) => { el.tabIndex = -1; });
  /* However posts come and go (search, live, "load older"), new ones are tamed and one is the stop. */
  new MutationObserver((changes) => {
    changes.forEach((change) => change.addedNodes.forEach((node) => { if (node.matches?.("li")) tame(node); }));
    keepRover();
  }).observe(stream, { childList: true });

  function filterParams() {
    const params = new URLSearchParams();
    const q = form.q.value.trim();
    if (q) params.set("q", q);
    if (form.source.value) params.set("source", form.source.value);
    if (form.media.checked) params.set("media", "1");
    if (form.no_reposts.checked) params.set("reposts", "0");
    if (form.no_replies.checked) params.set("replies", "0");
    if (form.unpinned.checked) params.set("unpinned", slug);
    if (form.lang.value.trim()) params.set("lang", form.lang.value.trim());
    return params;
  }

  /* The same filters, applied in the browser to a live arrival. */
  function matches(item) {
    const words = form.q.value.toLowerCase().match(/\w+/g) || [];
    const haystack = `${item.text} ${item.author.name} ${item.author.handle || ""}`.toLowerCase();
    const lang = form.lang.value.trim().toLowerCase();
    return words.every((w) => haystack.includes(w))
      && (!form.source.value || item.source === form.source.value)
      && (!form.media.checked || (item.media || []).length > 0)
      && (!form.no_reposts.checked || !item.repost_of)
      && (!form.no_replies.checked || !item.reply_to)
      && (!form.unpinned.checked || !pinned.has(item.id))
      && (!lang || (item.lang || "").toLowerCase().split("-")[0] === lang);
  }

  function mark(li) {
    const on = pinned.has(li.dataset.itemId);
    li.classList.toggle("pinned", on);
    li.querySelector(".pinned-badge").hidden = !on;
  }

  function entry(item) {
    const li = document.getElementById("stream-entry-template").content.firstElementChild.cloneNode(true);
    li.dataset.itemId = item.id;
    li.dataset.seq = String(item.seq);
    li.prepend(Tagstory.renderItem(item));
    addSource(item.source);
    mark(li);
    return li;
  }

  function addSource(name) {
    if (!name || [...form.source.options].some((o) => o.value === name)) return;
    form.source.append(new Option(name, name));
  }

  async function page(before) {
    const params = filterParams();
    params.set("limit", String(PAGE));
    params.set("before", String(before));
    const response = await fetch(`${base}?${params}`, { credentials: "same-origin" });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data.items.reverse();
  }

  /* Approved arrivals wait above the list ("12 new — show") so nothing the curator reads moves. */
  const posts = new ItemList(stream, {
    accepts: (item) => item.status === "approved",
    order: () => -1,
    entry,
    hold: () => true,
    onChange: ({ waiting }) => updateNew(waiting),
  });

  function search() {
    return page(Number.MAX_SAFE_INTEGER).then((items) => {
      posts.reset(items);
      older.hidden = items.length < PAGE;
      const q = form.q.value.trim();
      say(`${items.length}${items.length === PAGE ? "+" : ""} posts${q ? ` match “${q}”` : ""}.`);
    }).catch((error) => say(`Search failed: ${error.message}`));
  }

  function loadOlder() {
    const seqs = [...stream.children].map((li) => Number(li.dataset.seq)).filter(Boolean);
    const before = seqs.length ? Math.min(...seqs) : Number.MAX_SAFE_INTEGER;
    return page(before).then((items) => {
      posts.append(items);
      older.hidden = items.length < PAGE;
    }).catch((error) => say(`Could not load older posts: ${error.message}`));
  }

  function updateNew(waiting) {
    showNew.hidden = waiting === 0;
    showNew.textContent = `${waiting} new — show`;
  }

  function showWaiting() {
    posts.release();
    stream.firstElementChild?.focus();
  }

  /* A live item event from the feed's room; an arrival the filters refuse is not held. */
  function arrive(item) {
    if (item.status === "approved" && !posts.has(item.id) && !matches(item)) return;
    posts.apply(item);
  }

  function markPinned(ids) {
    pinned = ids;
    [...stream.children].forEach(mark);
  }

  const pin = (li) => document.dispatchEvent(new CustomEvent("desk:pin", { detail: { itemId: li.dataset.itemId } }));

  stream.addEventListener("click", (event) => {
    const button = event.target.closest("button.pin");
    if (button) pin(button.closest("li"));
  });
  stream.addEventListener("keydown", (event) => {
    const li = event.target.closest("#stream > li");
    if (!li || event.target !== li) return;
    const go = { ArrowDown: li.nextElementSibling, ArrowUp: li.previousElementSibling,
      Home: stream.firstElementChild, End: stream.lastElementChild };
    if (event.key === "p" || event.key === "P" || event.key === "Enter") { event.preventDefault(); pin(li); }
    else if (event.key in go) { event.preventDefault(); go[event.key]?.focus(); }
    else if (event.key === "Escape") { event.preventDefault(); DeskNotes.clear(li); }
  });
  stream.addEventListener("focusin", (event) => {
    const li = event.target.closest("#stream > li");
    if (li && li.tabIndex !== 0) rove(li);
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); search(); });
  form.addEventListener("change", (event) => { if (event.target.name !== "q") search(); });
  showNew.addEventListener("click", showWaiting);
  older.addEventListener("click", loadOlder);
  stream.querySelectorAll(".source").forEach((el) => addSource(el.textContent.trim()));
  [...stream.children].forEach(tame);
  keepRover();
  older.hidden = stream.children.length < Number(stream.dataset.page || 100);

  return { arrive, markPinned };
})();
