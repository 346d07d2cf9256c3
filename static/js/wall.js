/* The wall: a grid of posts that pages on a timer (featured first, then newest), new posts
   arriving calmly, paused while the tab is hidden, at most `data-keep` posts held. */
"use strict";

(() => {
  const body = document.body;
  const list = document.getElementById("items");
  const empty = document.getElementById("empty");
  const pageLabel = document.getElementById("wall-page");
  const keep = Number(body.dataset.keep);
  const speedMs = Number(body.dataset.speed) * 1000;
  const chosenColumns = Number(body.dataset.columns);
  let page = 0;
  let perPage = 6;
  let fresh = false;
  let timer = null;

  /* Columns and rows from the screen's shape (or the URL's columns=N): 3 x 2 on a projector. */
  function layout() {
    const landscape = innerWidth >= innerHeight;
    const columns = chosenColumns || (innerWidth < 700 ? 1 : landscape ? 3 : 2);
    const rows = landscape ? 2 : 3;
    list.style.setProperty("--columns", String(columns));
    list.style.setProperty("--rows", String(rows));
    perPage = columns * rows;
    show(page);
  }

  function pageCount() {
    return Math.max(1, Math.ceil(list.children.length / perPage));
  }

  function show(number) {
    page = number % pageCount();
    [...list.children].forEach((li, index) => { li.hidden = Math.floor(index / perPage) !== page; });
    body.dataset.page = String(page);
    pageLabel.textContent = pageCount() > 1 ? `${page + 1} / ${pageCount()}` : "";
    empty.hidden = list.children.length > 0;
  }

  function turn() {
    const next = fresh ? 0 : page + 1;
    fresh = false;
    if (pageCount() === 1 && next !== 0) return;
    list.classList.remove("turning");
    void list.offsetWidth;  // restart the animation (none under prefers-reduced-motion)
    list.classList.add("turning");
    show(next);
  }

  function run() {
    clearInterval(timer);
    timer = document.hidden ? null : setInterval(turn, speedMs);
    body.dataset.running = timer ? "1" : "0";
  }

  /* Featured first, then newest first (a later arrival with the same time goes above). */
  const posts = new ItemList(list, {
    order: (item, other) => (!!item.featured === !!other.featured
      ? ItemList.newestFirst(item, other) : (item.featured ? -1 : 1)),
    keep,
    moves: true,  // a post featured (or not) takes its new place
    onChange: ({ change }) => {
      if (change === "added") fresh = page !== 0;
      show(page);
    },
  });

  /* A picture that fails to load gives way to its alt text (an avatar to the initials). */
  function giveWay(img) {
    if (img.classList.contains("avatar")) {
      img.hidden = true;
      img.parentElement.querySelector('[data-slot="initials"]').hidden = false;
      return;
    }
    const text = document.createElement("span");
    text.className = "media-missing";
    text.textContent = img.alt || "(a picture that did not load)";
    img.replaceWith(text);
  }

  list.addEventListener("error", (event) => {
    if (event.target instanceof HTMLImageElement) giveWay(event.target);
  }, true);
  // Those that failed before this script ran.
  list.querySelectorAll("img[src]").forEach((img) => {
    if (img.complete && img.naturalWidth === 0) giveWay(img);
  });

  function drawQr() {
    const box = document.getElementById("wall-qr");
    const code = qrcode(0, "M");
    code.addData(box.dataset.url);
    code.make();
    box.innerHTML = code.createSvgTag({ cellSize: 1, margin: 2, scalable: true, title: `QR code: ${box.dataset.url}` });
  }

  drawQr();
  layout();
  run();
  addEventListener("resize", layout);
  document.addEventListener("visibilitychange", run);
  Tagstory.follow({ feed: body.dataset.feed }, Number(body.dataset.after), (name, data) => {
    if (name === "item") posts.apply(data.item, data.seq);
  });
})();
