/* The live feed and the wall: newest first; hidden items leave, edited ones are replaced. */
"use strict";

(() => {
  const list = document.getElementById("items");
  const empty = document.getElementById("empty");
  const feed = document.body.dataset.feed;
  const keep = Number(document.body.dataset.keep || 0);

  /* Newest first; a later arrival with the same time goes above (the page's order too). */
  function place(li, createdAt) {
    for (const other of list.children) {
      if (other.querySelector(".item").dataset.createdAt <= createdAt) {
        list.insertBefore(li, other);
        return;
      }
    }
    list.append(li);
  }

  function show(item) {
    const existing = list.querySelector(`.item[data-item-id="${CSS.escape(item.id)}"]`);
    const old = existing && existing.closest("li");
    if (item.status !== "approved" || item.deleted) {
      if (old) old.remove();
    } else {
      const li = document.createElement("li");
      li.append(Tagstory.renderItem(item));
      li.classList.add("arriving");
      if (old) old.replaceWith(li); else place(li, item.created_at);
    }
    while (keep && list.children.length > keep) list.lastElementChild.remove();
    empty.hidden = list.children.length > 0;
  }

  Tagstory.follow({ feed }, Number(document.body.dataset.after), (name, data) => {
    if (name === "item") show(data.item);
  });
})();
