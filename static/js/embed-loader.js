/* For the host page: turns every <div data-tagstory-embed="…/embed"> into an iframe of that
   Tagstory embed and keeps the iframe as tall as its content.

     <div data-tagstory-embed="https://tagstory.example/stories/SLUG/embed">
       <a href="https://tagstory.example/stories/SLUG">The story</a></div>
     <script async src="https://tagstory.example/static/js/embed-loader.js"></script>

   Only embeds of the server this script came from are made; a height message is believed
   only from that origin and from that very iframe. */
"use strict";

(() => {
  const script = document.currentScript;
  if (!script) return;
  const server = new URL(script.src).origin;
  const MIN = 120;
  const MAX = 20000;
  const frames = new Map();  // contentWindow -> iframe

  function embed(box) {
    let url;
    try { url = new URL(box.dataset.tagstoryEmbed, server); } catch { return; }
    if (url.origin !== server || !/^\/(stories|feeds)\/[^/]+\/embed$/.test(url.pathname)) return;
    url.search = new URLSearchParams({ origin: location.origin }).toString();
    const frame = document.createElement("iframe");
    frame.src = url.href;
    frame.title = box.dataset.tagstoryTitle || box.textContent.trim() || "Tagstory";
    frame.style.cssText = `width:100%;border:0;display:block;height:${MIN * 5}px`;
    box.dataset.tagstoryEmbedded = "";
    box.replaceChildren(frame);
    frames.set(frame.contentWindow, frame);
  }

  window.addEventListener("message", (event) => {
    if (event.origin !== server) return;
    const frame = frames.get(event.source);
    const data = event.data;
    if (!frame || !data || data.type !== "tagstory:height" || !Number.isFinite(data.height)) return;
    frame.style.height = `${Math.min(MAX, Math.max(MIN, Math.round(data.height)))}px`;
  });

  const start = () => document.querySelectorAll("[data-tagstory-embed]:not([data-tagstory-embedded])").forEach(embed);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
