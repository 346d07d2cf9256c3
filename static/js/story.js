/* The live story: apply add / update / move / remove / meta / reset events in log order. */
"use strict";

const StoryView = (() => {
  function elementNode(list, id) {
    return list.querySelector(`:scope > [data-element-id="${CSS.escape(id)}"]`);
  }

  /* Moving a node blurs it: give the focus back, so a keyboard user keeps their place. */
  function insertAt(list, node, position) {
    const focused = node.contains(document.activeElement) ? document.activeElement : null;
    const others = [...list.children].filter((child) => child !== node);
    list.insertBefore(node, others[position] || null);
    if (focused && document.activeElement !== focused) focused.focus();
  }

  /* One field of the story's header: text, the cover picture, or the LIVE badge. */
  function showMeta(field, value) {
    const header = document.querySelector(".story-header");
    if (!header) return;
    if (field === "cover") {
      const cover = header.querySelector('[data-slot="cover"]');
      const url = typeof value === "string" && /^https?:\/\//i.test(value) ? value : null;
      if (cover && url) cover.src = url;
      if (cover) cover.hidden = !url;
    } else if (field === "status") {
      const badge = header.querySelector('[data-slot="live"]');
      if (badge) badge.hidden = value !== "live";
    } else {
      const el = header.querySelector(`[data-slot="${field}"]`);
      if (el) el.textContent = value;
    }
    if (field === "title") document.title = `${value} · Tagstory`;
  }

  /* Apply one story event to an <ol> of elements; `decorate` lets the editor add controls. */
  function apply(list, data, decorate = (li) => li) {
    const element = data.element;
    if (data.op === "reset") {  // the story restated from scratch: its header, then an add per element
      apply(list, { op: "meta", meta: data.meta });
      list.replaceChildren();
      return;
    }
    if (data.op === "meta") {
      for (const [field, value] of Object.entries(data.meta)) showMeta(field, value);
      return;
    }
    const existing = elementNode(list, element.id);
    if (data.op === "remove") {
      if (existing && existing.contains(document.activeElement)) {
        const neighbour = existing.nextElementSibling || existing.previousElementSibling;
        if (neighbour) neighbour.focus();  // the editor's keyboard user stays in the list
      }
      if (existing) existing.remove();
    } else if (data.op === "add" || !existing) {
      insertAt(list, decorate(Tagstory.renderElement(element)), element.position);
    } else if (data.op === "move") {
      insertAt(list, existing, element.position);
    } else {
      Tagstory.fillElement(existing, element);
    }
  }

  return { apply };
})();

/* The story page (and its embed): elements land where the curators put them; those that land
   out of the reader's sight are counted behind "N new posts", which brings the reader to them. */
if (!document.body.classList.contains("editor")) {
  const list = document.getElementById("elements");
  const button = document.getElementById("new-posts");
  let unseen = [];  // elements added out of sight, not yet seen

  const isPost = (li) => li.dataset.type === "item";
  const noun = () => (unseen.every(isPost) ? "post" : "update");
  const counter = button && NewPosts.counter(button, () => {
    const first = unseen.filter((li) => li.isConnected)
      .sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1))[0];
    unseen = [];
    NewPosts.bringTo(first);
  });

  function recount() {
    unseen = unseen.filter((li) => li.isConnected && NewPosts.outOfSight(li));
    counter.show(unseen.length, noun());
  }

  function arrived(li) {
    if (!li) return;
    li.classList.add("arriving");
    if (!counter) return;
    if (NewPosts.outOfSight(li)) unseen.push(li);
    else counter.arrivals(1, isPost(li) ? "post" : "update");
    recount();
  }

  if (counter) {
    addEventListener("scroll", () => { if (unseen.length) recount(); }, { passive: true });
    document.addEventListener("visibilitychange", () => { if (unseen.length) recount(); });
  }
  Tagstory.follow({ story: document.body.dataset.story }, Number(document.body.dataset.after), (name, data) => {
    if (name !== "story") return;
    StoryView.apply(list, data);
    if (data.op === "add") arrived(list.querySelector(`:scope > [data-element-id="${CSS.escape(data.element.id)}"]`));
    if (data.op === "reset" && counter) { unseen = []; recount(); }
  });
}
