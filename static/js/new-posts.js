/* "N new posts": the button that tells a reader who is away from where posts arrive (scrolled
   away, or the tab in the background) that some came, and the count read out by the page's
   one live region ("3 new posts"), once per burst rather than once per post. */
"use strict";

const NewPosts = (() => {
  const QUIET_MS = 1000;  // a burst of arrivals is announced once, this long after its last one

  const plural = (n, noun) => `${n} new ${noun}${n === 1 ? "" : "s"}`;

  /* Whether `el` is out of the reader's sight: the tab hidden, or `el` outside the viewport. */
  function outOfSight(el) {
    if (document.hidden) return true;
    const box = el.getBoundingClientRect();
    return box.bottom <= 0 || box.top >= innerHeight;
  }

  /* Scroll to `li` and give it the focus, so reading (and Tab) goes on from there. */
  function bringTo(li) {
    if (!li) return;
    if (!li.hasAttribute("tabindex")) li.tabIndex = -1;
    li.scrollIntoView({ block: "start" });
    li.focus({ preventScroll: true });
  }

  /* `button` shows the count of posts out of sight while it is above zero; pressing it calls
     `onShow`. What the region reads out is the total once a burst is quiet: the count
     waiting ("3 new posts"), or for posts that came in sight, how many came. */
  function counter(button, onShow) {
    let arrived = 0;  // posts that came in sight during this burst
    let quiet = null;
    let said = 0;

    function soon(text) {
      clearTimeout(quiet);
      quiet = setTimeout(() => { Tagstory.announce(text); arrived = 0; }, QUIET_MS);
    }

    function show(count, noun = "post") {
      button.hidden = count === 0;
      button.textContent = plural(count, noun);
      button.dataset.count = String(count);
      if (count > said) soon(plural(count, noun));
      said = count;
    }

    function arrivals(n, noun = "post") {
      arrived += n;
      if (said === 0) soon(plural(arrived, noun));
    }

    button.addEventListener("click", () => { show(0); onShow(); });  // hidden first: the list keeps its place
    show(0);
    return { show, arrivals };
  }

  return { counter, outOfSight, bringTo, plural };
})();
