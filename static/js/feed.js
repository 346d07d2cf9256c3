/* The live feed page (and its embed): newest first. Posts that arrive while the reader is
   scrolled down or away wait behind "N new posts"; "Load older posts" pages back through
   the items API. */
"use strict";

(() => {
  const PAGE = 50;  // older posts fetched per press
  const list = document.getElementById("items");
  const empty = document.getElementById("empty");
  const older = document.getElementById("load-older");
  const button = document.getElementById("new-posts");
  const feed = document.body.dataset.feed;

  /* Away from the top of the list, where new posts arrive. */
  const away = () => document.hidden || list.getBoundingClientRect().top < 0;

  const counter = button && NewPosts.counter(button, () => NewPosts.bringTo(posts.release()[0]));

  const posts = new ItemList(list, {
    entry(item) {
      const li = document.createElement("li");
      li.append(Tagstory.renderItem(item));
      if (item.seq) li.dataset.seq = String(item.seq);
      return li;
    },
    hold: () => !!counter && away(),
    onChange({ change, waiting }) {
      empty.hidden = list.children.length > 0;
      if (!counter) return;
      counter.show(waiting);
      if (change === "added") counter.arrivals(1);
    },
  });

  async function loadOlder() {
    const seqs = [...list.children].map((li) => Number(li.dataset.seq)).filter(Boolean);
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (seqs.length) params.set("before", String(Math.min(...seqs)));
    older.disabled = true;
    try {
      const response = await fetch(`/api/feeds/${encodeURIComponent(feed)}/items?${params}`);
      const data = await response.json();
      if (!response.ok) throw new Error(data.error || response.statusText);
      const added = posts.append(data.items.reverse());
      older.hidden = data.items.length < PAGE;
      Tagstory.announce(added.length ? `${added.length} older posts loaded` : "No older posts");
      NewPosts.bringTo(added[0]);
    } catch (error) {
      Tagstory.announce(`Could not load older posts: ${error.message}`, { visible: true });
    } finally {
      older.disabled = false;
    }
  }

  if (older) older.addEventListener("click", loadOlder);
  Tagstory.follow({ feed }, Number(document.body.dataset.after), (name, data) => {
    if (name === "item") posts.apply(data.item, data.seq);
  });
})();
