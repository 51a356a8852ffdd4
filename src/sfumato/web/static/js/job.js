// Live progress of a job from GET /v1/jobs/{id}/events (Server-Sent Events): "progress", "queued" (its place
// in the queue), then one of "succeeded", "failed", "canceled"; the page is then loaded again to show the
// images or the error.
export function followJob(box) {
  const progress = box.querySelector("[data-job-progress]");
  const step = box.querySelector("[data-job-step]");
  const status = document.querySelector("[data-job-status]");
  const events = new EventSource(box.dataset.jobEvents);
  const waiting = (job) => {
    const ahead = job.queue_position;
    if (ahead === null) return "Waiting for a worker";
    let text = ahead === 0 ? "Next in the queue" : `${ahead} job${ahead > 1 ? "s" : ""} before it in the queue`;
    if (job.estimated_start_at) text += `; expected to start by ${job.estimated_start_at}`;
    return text;
  };
  events.addEventListener("progress", (message) => {
    const data = JSON.parse(message.data);
    progress.value = data.progress;
    status.textContent = data.job.status;
    step.textContent = data.job.status === "queued" ? waiting(data.job) : `Step ${data.step} of ${data.steps}`;
  });
  events.addEventListener("queued", (message) => {
    step.textContent = waiting(JSON.parse(message.data).job);
  });
  for (const end of ["succeeded", "failed", "canceled"]) {
    events.addEventListener(end, () => {
      events.close();
      status.textContent = end;
      step.textContent = end === "succeeded" ? "Done: loading the images" : `The job ${end}`;
      location.reload();
    });
  }
  events.onerror = () => {
    if (events.readyState === EventSource.CLOSED) step.textContent = "Lost the live view: reload to see it.";
  };
}
