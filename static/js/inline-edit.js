/* In-place editing of a text block or an annotation: a contenteditable box with a small
   formatting set (bold, italic, link, list, quote). What it returns is only a draft: the
   server sanitizes it (aggregator/sanitize.py) before anyone sees it. */
"use strict";

const InlineEditor = (() => {
  const commands = {
    bold: () => document.execCommand("bold"),
    italic: () => document.execCommand("italic"),
    list: () => document.execCommand("insertUnorderedList"),
    quote: () => document.execCommand("formatBlock", false, "blockquote"),
    link: () => {
      const url = askedUrl();
      if (!url) return;
      if (window.getSelection().toString().trim()) document.execCommand("createLink", false, url);
      else {
        const a = document.createElement("a");
        a.href = url;
        a.textContent = url;
        document.execCommand("insertHTML", false, a.outerHTML);
      }
    },
  };

  /* Ask for a link target in a small inline field rather than window.prompt. */
  function askedUrl() {
    const field = document.getElementById("inline-link-url");
    const value = field ? field.value.trim() : "";
    return /^https?:\/\//i.test(value) ? value : null;
  }

  /* Open `box` for editing with `html`; resolve with the edited HTML (or plain text), or null. */
  function open(box, html, { plain = false, label = "Edit" } = {}) {
    return new Promise((resolve) => {
      const before = box.innerHTML;
      const wasHidden = box.hidden;
      const bar = document.getElementById("format-template").content.firstElementChild.cloneNode(true);
      if (plain) bar.querySelectorAll("[data-format]:not([data-format=save]):not([data-format=cancel])").forEach((b) => b.remove());
      else {
        const url = document.createElement("input");
        url.id = "inline-link-url";
        url.type = "url";
        url.placeholder = "https://… then select text, Link";
        url.setAttribute("aria-label", "Link address");
        bar.insertBefore(url, bar.querySelector("[data-format=link]"));
      }
      const editor = document.createElement("div");
      editor.className = "inline-editor";
      editor.contentEditable = "true";
      editor.setAttribute("role", "textbox");
      editor.setAttribute("aria-multiline", "true");
      editor.setAttribute("aria-label", label);
      editor.innerHTML = html;
      box.hidden = false;
      box.replaceChildren(bar, editor);
      document.execCommand("defaultParagraphSeparator", false, "p");
      editor.focus();

      const finish = (value) => {
        box.replaceChildren();
        box.innerHTML = before;
        box.hidden = wasHidden;
        resolve(value);
      };
      let range = null;
      const remember = () => {
        const selection = window.getSelection();
        if (selection.rangeCount && editor.contains(selection.anchorNode)) range = selection.getRangeAt(0).cloneRange();
      };
      editor.addEventListener("keyup", remember);
      editor.addEventListener("mouseup", remember);
      const restore = () => {
        editor.focus();
        if (range) { const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range); }
      };
      const save = () => finish(plain ? editor.innerText.trim() : editor.innerHTML);
      bar.addEventListener("mousedown", (event) => { if (event.target.closest("button")) event.preventDefault(); });
      bar.addEventListener("click", (event) => {
        const button = event.target.closest("button[data-format]");
        if (!button) return;
        const name = button.dataset.format;
        if (name === "save") save();
        else if (name === "cancel") finish(null);
        else { restore(); commands[name](); remember(); }
      });
      editor.addEventListener("keydown", (event) => {
        event.stopPropagation();
        if (event.key === "Escape") { event.preventDefault(); finish(null); }
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); save(); }
        if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "b") { event.preventDefault(); commands.bold(); }
        if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "i") { event.preventDefault(); commands.italic(); }
      });
    });
  }

  return { open };
})();
