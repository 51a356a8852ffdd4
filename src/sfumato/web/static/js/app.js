// The dashboard's few behaviours, each found by a data- attribute; every page works without them too.
import { followJob } from "./job.js";

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const text = source.href || source.textContent.trim();
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
  });
}

for (const seed of document.querySelectorAll("[data-random-with]")) {
  const random = document.getElementById(seed.dataset.randomWith);
  const sync = () => { seed.disabled = random.checked; };
  random.addEventListener("change", sync);
  sync();
}

for (const box of document.querySelectorAll("[data-job-events]")) {
  followJob(box);
}
