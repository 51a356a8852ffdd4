// A job followed live from GET /v1/jobs/{id}/events (Server-Sent Events): "progress" (with a small preview
// when the job asked for previews), "queued" (its place in the queue), then one of "succeeded", "failed",
// "canceled". Its images then come from the dashboard's /jobs/{id}/result, in place: the page is never
// reloaded, so a stopped server never replaces it with the browser's error page. A broken stream says
// "Connection lost, retrying…" at once, tries again (1, 2, 4, then every 5 seconds) and says "Reconnected"
// when the server answers again.

const RETRY_MS = [1000, 2000, 4000, 5000];
const RECONNECTED_MS = 30000;  // how long "Reconnected" stays (or until the job ends): a glance finds it
const ENDS = ["succeeded", "failed", "canceled"];

export function followJob(parts, { events, result, onEnd = () => {} }) {
  const { state, status, progress, connection, previewFigure, preview } = parts;
  let stream = null;
  let ended = false;
  let lost = false;
  let attempt = 0;
  let hideTimer = null;

  const say = (text) => { if (status) status.textContent = text; };
  const show = (text, kind) => {
    if (!connection) return;
    clearTimeout(hideTimer);
    connection.textContent = text;
    connection.className = `notice ${kind}`;
    connection.hidden = false;
  };
  const settle = (name) => {
    if (state) {
      state.textContent = name;
      state.className = `status status-${name}`;
    }
  };

  const finish = async (name) => {
    ended = true;
    if (connection && !lost && connection.classList.contains("ok")) connection.hidden = true;
    if (stream) stream.close();
    settle(name);
    if (progress) progress.hidden = name !== "succeeded";
    if (progress && name === "succeeded") progress.value = 1;
    say(name === "succeeded" ? "Done: loading the images" : `The job ${name}`);
    try {
      const answer = await fetch(result, { headers: { Accept: "application/json" }, cache: "no-store" });
      const job = await answer.json();
      onEnd(job);
      say(name === "succeeded" ? `Done: ${job.images.length} image${job.images.length === 1 ? "" : "s"}` : `The job ${name}`);
    } catch {
      say(`The job ${name}, but its images could not be loaded: the server cannot be reached. Open the job's page once it is back.`);
    }
    if (previewFigure && name === "succeeded") previewFigure.hidden = true;
  };

  const onProgress = (message) => {
    const data = JSON.parse(message.data);
    settle(data.job.status);
    if (progress) {
      progress.hidden = false;
      progress.value = data.progress;
    }
    say(data.job.status === "queued" ? waiting(data.job) : `Step ${data.step} of ${data.steps}`);
    if (data.preview && preview) {
      preview.src = `data:image/png;base64,${data.preview}`;
      previewFigure.hidden = false;
    }
  };

  // After a broken stream: is the server back, and is the job still running?
  const retry = async () => {
    let job = null;
    try {
      const answer = await fetch(result, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (answer.status === 404) {
        show("This job is gone: it was deleted.", "error");
        return;
      }
      job = await answer.json();
    } catch {
      setTimeout(retry, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
      return;
    }
    if (job === null || typeof job.status !== "string") {
      show("Signed out: sign in again to follow this job.", "error");
      return;
    }
    if (ENDS.includes(job.status)) {
      reconnected();
      finish(job.status);
    } else {
      connect();
    }
  };

  const reconnected = () => {
    attempt = 0;
    if (!lost) return;
    lost = false;
    show("Reconnected", "ok");
    hideTimer = setTimeout(() => { if (connection) connection.hidden = true; }, RECONNECTED_MS);
  };

  const connect = () => {
    stream = new EventSource(events);
    stream.addEventListener("open", reconnected);
    stream.addEventListener("progress", onProgress);
    stream.addEventListener("queued", (message) => say(waiting(JSON.parse(message.data).job)));
    for (const name of ENDS) stream.addEventListener(name, () => finish(name));
    stream.addEventListener("error", (message) => {
      if (ended) return;
      stream.close();
      if (message.data) {  // the server's own "error" event: the job was deleted while followed
        ended = true;
        show(JSON.parse(message.data).error.message, "error");
        return;
      }
      lost = true;
      show("Connection lost, retrying…", "error");
      setTimeout(retry, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
    });
  };

  connect();
  return { stop: () => { ended = true; if (stream) stream.close(); } };
}

// A queued job's place in words (web/routes/jobs.py writes the same into the page).
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
export function waiting(job) {
  const ahead = job.queue_position;
  if (ahead === null || ahead === undefined) return "Waiting for a worker";
  let text = ahead === 0 ? "Next in the queue" : `${ahead} job${ahead > 1 ? "s" : ""} before it in the queue`;
  if (job.estimated_start_at) text += `; expected to start by ${clock.format(new Date(job.estimated_start_at))}`;
  return text;
}

// The images of an ended job, large, each a link to its page, in `box`.
export function showImages(box, job) {
  box.replaceChildren();
  for (const image of job.images) {
    const figure = document.createElement("figure");
    const link = document.createElement("a");
    link.href = image.page;
    const picture = document.createElement("img");
    Object.assign(picture, { src: image.src, alt: image.alt, width: image.width, height: image.height });
    link.append(picture);
    const caption = document.createElement("figcaption");
    const input = document.createElement("a");
    input.href = `/studio?input=${image.id}`;
    input.textContent = "Use as input";
    caption.append(`seed ${image.seed} · ${image.width}x${image.height} ${image.format} · `, input);
    figure.append(link, caption);
    box.append(figure);
  }
}
