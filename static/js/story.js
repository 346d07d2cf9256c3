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

  /* Apply one story event to an <ol> of elements; `decorate` lets the editor add controls. */
  function apply(list, data, decorate = (li) => li) {
    const element = data.element;
    if (data.op === "reset") {  // the story restated from scratch: its header, then an add per element
      apply(list, { op: "meta", meta: data.meta });
      list.replaceChildren();
      return;
    }
    if (data.op === "meta") {
      for (const [field, value] of Object.entries(data.meta)) {
        const el = document.querySelector(`.story-header [data-slot="${field}"]`);
        if (el) el.textContent = value;
        if (field === "title") document.title = `${value} · Tagstory`;
      }
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

if (!document.body.classList.contains("editor")) {
  const list = document.getElementById("elements");
  Tagstory.follow({ story: document.body.dataset.story }, Number(document.body.dataset.after),
    (name, data) => { if (name === "story") StoryView.apply(list, data); });
}
