/* The moderation desk: the pending queue, what is live and what is hidden, following the
   feed's curators-only room; every decision goes through the API and comes back as an event. */
"use strict";

(() => {
  const feed = document.body.dataset.feed;
  const base = `/api/feeds/${encodeURIComponent(feed)}`;
  const message = document.getElementById("moderation-message");
  const statusLists = { pending: "queue", approved: "approved", hidden: "hidden" };
  const say = (text) => { message.textContent = text; };
  const run = (promise) => promise.catch((error) => say(`Not done: ${error.message}`));

  function entry(item) {
    const li = document.getElementById("entry-template").content.firstElementChild.cloneNode(true);
    li.dataset.itemId = item.id;
    li.dataset.status = item.status;
    li.querySelector('[data-action="feature"]').setAttribute("aria-pressed", String(!!item.featured));
    li.querySelector(".item").replaceWith(Tagstory.renderItem(item));
    const reason = li.querySelector('[data-slot="reason"]');
    reason.querySelector("strong").textContent = item.reason || "";
    reason.hidden = !item.reason;
    return li;
  }

  /* One item list per status: the queue oldest first, the others newest first (at most 50). */
  const lists = Object.entries(statusLists).map(([status, id]) => new ItemList(document.getElementById(id), {
    accepts: (item) => item.status === status,
    order: () => (status === "pending" ? 1 : -1),
    keep: status === "pending" ? 0 : 50,
    entry,
  }));

  function place(item, seq) {
    if (!item.author) {  // a bare "gone" from the viewers' room: the card we show has the content
      const shown = lists.map((list) => list.item(item.id)).find(Boolean);
      const old = document.querySelector(`.moderation-desk li[data-item-id="${CSS.escape(item.id)}"]`);
      if (!shown && old) {  // a card the server rendered: move it as it is
        old.dataset.status = item.status;
        document.getElementById(statusLists[item.status]).prepend(old);
        return;
      }
      if (!shown) return;
      item = { ...shown, status: item.status };
    }
    lists.forEach((list) => list.apply(item, seq));
    document.getElementById("queue-empty").hidden = document.getElementById("queue").children.length > 0;
  }

  let refreshTimer = null;
  function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      run(Tagstory.api("GET", `${base}/moderation`).then(showSettings));
      run(Tagstory.api("GET", `${base}/audit`).then(showAudit));
    }, 150);
  }

  function showSettings(settings) {
    for (const [status, n] of Object.entries(settings.counts)) {
      document.getElementById(`count-${status}`).textContent = String(n);
    }
  }

  function auditLine(entry) {
    const li = document.createElement("li");
    const who = entry.actor || "rule";
    const what = entry.item_id
      ? `${entry.status} ${entry.author ? `a post by ${entry.author}` : entry.item_id}${entry.reason ? ` (${entry.reason})` : ""}`
      : `set moderation to ${entry.moderation}, rules updated`;
    const time = document.createElement("time");
    time.dateTime = entry.at || new Date().toISOString();
    time.textContent = new Date(time.dateTime).toLocaleTimeString();
    li.append(time, ` ${who} ${what}`);
    return li;
  }

  function showAudit(entries) {
    document.getElementById("audit").replaceChildren(...entries.slice(0, 100).map(auditLine));
  }

  document.querySelector(".moderation-desk").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    const li = button && button.closest("li[data-item-id]");
    if (!li) return;
    const id = li.dataset.itemId;
    if (button.dataset.status) {
      run(Tagstory.api("PATCH", `${base}/items/${encodeURIComponent(id)}`, { status: button.dataset.status })
        .then(() => say(button.dataset.status === "approved" ? "Approved." : "Hidden.")));
    } else if (button.dataset.action === "feature") {
      const featured = button.getAttribute("aria-pressed") !== "true";
      run(Tagstory.api("PATCH", `${base}/items/${encodeURIComponent(id)}`, { featured })
        .then((item) => {
          button.setAttribute("aria-pressed", String(item.featured));
          say(item.featured ? "Featured: it comes first on the wall." : "No longer featured.");
        }));
    } else if (button.dataset.action === "block") {
      run(Tagstory.api("POST", `${base}/items/${encodeURIComponent(id)}/block-author`)
        .then((result) => say(`Author blocked; ${result.hidden.length} posts hidden`
          + (result.kept_pinned.length ? `, ${result.kept_pinned.length} kept because a story pins them.` : "."))));
    }
  });

  document.getElementById("rules").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);
    run(Tagstory.api("PATCH", base, {
      moderation: form.moderation.value,
      rules: {
        blocked_words: lines(form.blocked_words.value),
        blocked_authors: lines(form.blocked_authors.value),
        languages: form.languages.value.split(",").map((s) => s.trim()).filter(Boolean),
        hide_replies: form.hide_replies.checked,
        hide_reposts: form.hide_reposts.checked,
        hide_sensitive: form.hide_sensitive.checked,
      },
    }).then(() => say("Rules saved.")));
  });

  run(Tagstory.api("GET", `${base}/audit`).then(showAudit));

  const after = Number(document.body.dataset.after);
  const onEvent = (name, data) => {
    if (name === "item") place(data.item, data.seq);
    refresh();
  };
  Tagstory.follow({ feed }, after, onEvent);  // the same connection follows both rooms
  Tagstory.follow({ feed, desk: true }, after, onEvent);
})();
