/* A list of posts kept in step with the live `item` events, written once for every page
   that shows posts: the feed page, the wall, the desk's stream and the moderation page.

   An `ItemList` owns one <ol>/<ul> whose children are <li data-item-id> (the server renders
   them so too). `apply(item, seq)` adds, updates or removes the item by its id and status:
   an item the list `accepts` is replaced in place or placed in `order`; one it does not
   accept leaves. An event older than the last one applied to the same id is ignored (the
   moderation page hears an item in two rooms). With `hold()` returning true, new items
   wait (for an "N new posts" button) until `release()` brings them in. */
"use strict";

const ItemList = (() => {
  const shown = (item) => item.status === "approved" && !item.deleted;

  /* Newest first; a later arrival with the same time goes above (the page's order too). */
  const newestFirst = (a, b) => (a.created_at < b.created_at ? 1 : -1);

  class ItemList {
    constructor(list, {
      accepts = shown,  // which items belong in this list
      order = newestFirst,  // (new item, item of a child) < 0 when the new one goes first
      keep = 0,  // at most this many children (the last ones leave), 0 for no bound
      moves = false,  // an updated item takes its place in `order` again (else it stays where it is)
      entry = (item) => { const li = document.createElement("li"); li.append(Tagstory.renderItem(item)); return li; },
      hold = () => false,  // true while new items should wait for `release()`
      onChange = () => {},  // after every change: ({added, updated, removed, waiting})
    } = {}) {
      Object.assign(this, { list, accepts, order, keep, moves, entry, hold, onChange });
      this.seqs = new Map();  // item id -> seq of the last event applied
      this.waiting = [];  // items held back, newest first
      this.known = new Map();  // item id -> item, for the children this list rendered
      for (const li of list.children) adopt(li);
    }

    /* The <li> of item `id`, or null. */
    find(id) {
      return this.list.querySelector(`:scope > li[data-item-id="${CSS.escape(id)}"]`);
    }

    /* The item the <li> of `id` was last rendered from here (null for a server-rendered one). */
    item(id) {
      return this.known.get(id) || null;
    }

    /* Whether item `id` is shown or held. */
    has(id) {
      return !!this.find(id) || this.waiting.some((w) => w.id === id);
    }

    /* Show exactly `items`, in the order given (a new search); nothing is held any more. */
    reset(items) {
      this.waiting = [];
      this.known.clear();
      this.list.replaceChildren(...items.filter(this.accepts).map((item) => this.render(item)));
      this.onChange({ change: "reset", item: null, waiting: 0 });
    }

    get size() {
      return this.list.children.length;
    }

    /* Apply one item event; returns "added", "updated", "removed", "waiting" or null. */
    apply(item, seq = 0) {
      if (seq && (this.seqs.get(item.id) || 0) >= seq) return null;
      if (seq) this.seqs.set(item.id, seq);
      const old = this.find(item.id);
      const held = this.waiting.findIndex((w) => w.id === item.id);
      let change = null;
      if (!this.accepts(item)) {
        if (held >= 0) { this.waiting.splice(held, 1); change = "removed"; }
        if (old) { this.known.delete(item.id); old.remove(); change = "removed"; }
      } else if (held >= 0) {
        this.waiting[held] = item;
        change = "waiting";
      } else if (old) {
        const li = this.render(item);
        if (old.classList.contains("arriving")) li.classList.add("arriving");
        if (this.moves) { old.remove(); this.place(li, item); } else old.replaceWith(li);
        change = "updated";
      } else if (this.hold(item)) {
        this.waiting.unshift(item);
        change = "waiting";
      } else {
        this.place(this.render(item), item).classList.add("arriving");
        change = "added";
      }
      this.trim();
      if (change) this.onChange({ change, item, waiting: this.waiting.length });
      return change;
    }

    /* Bring the held items in; returns their <li>s, in list order. */
    release() {
      const items = this.waiting.reverse();  // oldest first, so the newest lands on top
      this.waiting = [];
      const added = items.map((item) => this.place(this.render(item), item));
      added.forEach((li) => li.classList.add("arriving"));
      this.trim();
      this.onChange({ change: "released", item: null, waiting: 0 });
      return added.filter((li) => li.isConnected)
        .sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    }

    /* Append items fetched from the API (older ones), skipping those already shown. */
    append(items) {
      const added = items.filter((item) => this.accepts(item) && !this.find(item.id))
        .map((item) => this.list.appendChild(this.render(item)));
      this.onChange({ change: "appended", item: null, waiting: this.waiting.length });
      return added;
    }

    render(item) {
      const li = this.entry(item);
      li.dataset.itemId = item.id;
      this.known.set(item.id, item);
      return li;
    }

    place(li, item) {
      for (const other of this.list.children) {
        if (other !== li && this.order(item, itemOf(other, this.known)) < 0) {
          this.list.insertBefore(li, other);
          return li;
        }
      }
      this.list.append(li);
      return li;
    }

    trim() {
      while (this.keep && this.list.children.length > this.keep) {
        this.known.delete(this.list.lastElementChild.dataset.itemId);
        this.list.lastElementChild.remove();
      }
    }
  }

  /* A server-rendered <li>: its id (and what ordering needs) read from its card. */
  function adopt(li) {
    const card = li.querySelector(".item");
    if (card && !li.dataset.itemId) li.dataset.itemId = card.dataset.itemId;
  }

  /* What `order` compares of a child: the item it was rendered from, or its card's data. */
  function itemOf(li, known) {
    const item = known.get(li.dataset.itemId);
    if (item) return item;
    const card = li.querySelector(".item");
    return {
      id: li.dataset.itemId,
      created_at: card ? card.dataset.createdAt : "",
      featured: card ? card.classList.contains("featured") : false,
      seq: Number(li.dataset.seq || 0),
    };
  }

  return Object.assign(ItemList, { shown, newestFirst });
})();
