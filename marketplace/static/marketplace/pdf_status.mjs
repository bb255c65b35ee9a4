// The "Your PDF is being made" page, enhanced: ask the status address now and then, say how it
// is going in the page's polite live region, and fetch the PDF as soon as it is ready. Without
// this file the page still works: its "Check again" button downloads the PDF once it is made.
const panel = document.querySelector("[data-pdf-status-url]");
const live = document.getElementById("pdf-progress");

// Wait a little longer each time (2s, 3s, … up to 10s); stop after about ten minutes, when
// the button is still there for the person to press.
const FIRST_WAIT_MS = 2000;
const LONGEST_WAIT_MS = 10000;
const GIVE_UP_AFTER_MS = 10 * 60 * 1000;

function say(words) {
  // Only when it changes, so a screen reader hears each step once.
  if (live.textContent !== words) live.textContent = words;
}

async function ask(url) {
  const response = await fetch(url, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
    cache: "no-store",
  });
  if (!response.ok) throw new Error(`status ${response.status}`);
  return response.json();
}

async function watch(url) {
  const started = Date.now();
  let wait = FIRST_WAIT_MS;
  while (Date.now() - started < GIVE_UP_AFTER_MS) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    let status;
    try {
      status = await ask(url);
    } catch {
      say("We could not check on your PDF just now. Use the Check again button.");
      return;
    }
    say(status.message);
    if (status.ready) {
      document.body.dataset.pdfReady = "true";
      window.location.assign(status.pdf_url);
      return;
    }
    wait = Math.min(wait + 1000, LONGEST_WAIT_MS);
  }
  say("Your PDF is taking longer than usual. Use the Check again button, or come back later.");
}

if (panel && live && window.fetch) {
  say("This page will download your PDF when it is ready. You do not need to do anything.");
  watch(panel.dataset.pdfStatusUrl);
}
