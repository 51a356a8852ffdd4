// The dashboard's behaviours, each found by a data- attribute; every page works without them too.
import { followJob, showImages } from "./follow.js";
import { studio } from "./studio.js";

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

// Times in the reader's own zone (the page says UTC without a script).
const local = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
for (const time of document.querySelectorAll("time[datetime]")) {
  const moment = new Date(time.dateTime);
  if (!Number.isNaN(moment.getTime())) {
    time.title = time.textContent;
    time.textContent = local.format(moment);
  }
}

// A form sent to a server that is gone would land on the browser's own error page: each first asks whether
// the server answers, and says so in the page when it does not.
const banner = document.querySelector("[data-unreachable]");
for (const form of document.querySelectorAll("form:not([data-studio])")) {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.reachable === "yes") return;
    event.preventDefault();
    const submitter = event.submitter;
    let answers = false;
    try {
      const probe = await fetch("/healthz", { cache: "no-store", signal: AbortSignal.timeout(4000) });
      answers = probe.ok;
    } catch {
      answers = false;
    }
    if (!answers) {
      banner.hidden = false;
      banner.scrollIntoView({ block: "nearest" });
      return;
    }
    banner.hidden = true;
    form.dataset.reachable = "yes";
    form.requestSubmit(submitter);
    delete form.dataset.reachable;
  });
}

for (const form of document.querySelectorAll("[data-studio]")) studio(form);

// A job's page: live while it runs, its images in place when it ends.
for (const box of document.querySelectorAll("[data-follow][data-events]")) {
  const images = document.querySelector("[data-result-images]");
  const problems = box.querySelector("[data-result-problems]");
  followJob(
    {
      state: box.querySelector("[data-result-state]"),
      status: box.querySelector("[data-result-status]"),
      progress: box.querySelector("[data-result-progress]"),
      connection: box.querySelector("[data-connection]"),
      previewFigure: box.querySelector("[data-preview-figure]"),
      preview: box.querySelector("[data-preview]"),
    },
    {
      events: box.dataset.events,
      result: box.dataset.resultUrl,
      onEnd: (job) => {
        showImages(images, job);
        for (const running of box.querySelectorAll("[data-while-running]")) running.hidden = true;
        problems.replaceChildren();
        for (const text of [...(job.error ? [`${job.error.code}: ${job.error.message}`] : []), ...job.warnings]) {
          const line = document.createElement("p");
          line.className = job.error ? "notice error" : "notice";
          line.textContent = text;
          problems.append(line);
        }
      },
    },
  );
}
