/* Inside an embed: tell the host page (embed-loader.js) our height whenever it changes.
   The loader names its origin in ?origin=; messages go to that origin only, so a page that
   frames us under another origin learns nothing (the browser drops them). */
"use strict";

(() => {
  const origin = new URLSearchParams(location.search).get("origin");
  if (!origin || !/^https?:\/\/[^/?#]+$/i.test(origin) || window.parent === window) return;
  let sent = 0;
  const report = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === sent) return;
    sent = height;
    window.parent.postMessage({ type: "tagstory:height", height }, origin);
  };
  new ResizeObserver(report).observe(document.documentElement);
  window.addEventListener("load", report);
})();
