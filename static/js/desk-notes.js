/* The desk's messages, each next to what it is about: an element of the story, a post of
   the stream, a form or a control. A passing note ("Saved.") goes away by itself; one that
   matters (a conflict, a failed save, a refused pin) stays until the curator dismisses it.
   One note per place: a new one replaces the last. */
"use strict";

const DeskNotes = (() => {
  const PASSING_MS = 6000;
  const notes = new WeakMap();  // anchor -> its note

  /* A list entry (story element, stream post) holds its note; anything else has it just after. */
  const inside = (anchor) => anchor.matches("li");

  function clear(anchor) {
    const note = notes.get(anchor);
    if (note) { clearTimeout(note.timer); note.remove(); notes.delete(anchor); }
  }

  /* Show `text` about `anchor`; `lasting` notes stay (role alert) with a Dismiss button. */
  function show(anchor, text, { lasting = false, action = null } = {}) {
    if (!anchor) return null;
    clear(anchor);
    const note = document.createElement("p");
    note.className = `note${lasting ? " lasting" : ""}`;
    note.setAttribute("role", lasting ? "alert" : "status");
    note.append(text);
    if (action) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.textContent = action.label;
      button.addEventListener("click", action.run);
      note.append(" ", button);
    }
    if (lasting) {
      const dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "link-button dismiss";
      dismiss.textContent = "Dismiss";
      dismiss.addEventListener("click", () => {
        const back = note.contains(document.activeElement) ? anchor : null;
        clear(anchor);
        back?.focus?.();
      });
      note.append(" ", dismiss);
    } else {
      note.timer = setTimeout(() => clear(anchor), PASSING_MS);
    }
    if (inside(anchor)) {
      note.querySelectorAll("button").forEach((b) => { b.tabIndex = -1; });  // the entry keeps one tab stop
      anchor.append(note);
    } else {
      anchor.after(note);
    }
    notes.set(anchor, note);
    return note;
  }

  /* The note of `anchor` if it is a lasting one (Escape on an element dismisses it). */
  const lasting = (anchor) => notes.get(anchor)?.classList.contains("lasting") || false;

  return { show, clear, lasting };
})();
