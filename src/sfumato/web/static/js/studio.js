// The studio's form: the model's limits applied to the other fields, size presets and the swap, the token
// count under the prompt, the negative prompt off where guidance cannot use it, Ctrl+Enter, a PNG dropped to
// fill the form; and Generate, which posts the form in the background and follows the job beside it.
import { followJob, showImages } from "./follow.js";
import { inputImage } from "./mask.js";

const $ = (root, selector) => root.querySelector(selector);

export function studio(form) {
  const fields = form.elements;
  const model = $(form, "[data-model]");
  const preset = $(form, "[data-preset]");
  const prompt = fields.prompt;
  const negative = fields.negative_prompt;
  const guidance = fields.guidance_scale;
  const tokens = $(form, "[data-token-count]");
  const panel = document.querySelector("[data-result]");
  const input = inputImage(form);
  let following = null;

  const errorAt = (name, message) => {
    const slot = $(form, `[data-error-for="${name}"]`) || $(form, '[data-error-for="form"]');
    slot.textContent = message;
    slot.hidden = false;
    const field = fields[name];
    if (field && field.setAttribute) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  };
  const clearErrors = () => {
    for (const slot of form.querySelectorAll("[data-error-for]")) slot.hidden = true;
    for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  };

  // The model's limits: its steps, its guidance, its sizes. (Its option's data- names are its own: a
  // selector of the page's parts, such as [data-negative-reason], must never find an option.)
  const chosen = () => model.selectedOptions[0].dataset;
  const applyModel = (reset) => {
    const spec = chosen();
    Object.assign(fields.steps, { min: spec.minSteps, max: spec.maxSteps });
    for (const side of [fields.width, fields.height]) Object.assign(side, { min: spec.minSide, max: spec.maxSide });
    if (reset) {
      fields.steps.value = spec.defaultSteps;
      guidance.value = spec.defaultGuidance;
    }
    // A model distilled to run without guidance takes no scale: the field is off, and says why.
    guidance.disabled = spec.guidanceKind === "unused";
    $(form, "[data-guidance-hint]").hidden = spec.guidanceKind !== "unused";
    input.allow({ image: spec.takesImage === "yes", mask: spec.takesMask === "yes" });
    fitLoras(spec.modelFamily);
    $(form, "[data-model-line]").textContent = spec.line;
    const keep = `${fields.width.value}x${fields.height.value}`;
    preset.replaceChildren();
    for (const [label, width, height] of JSON.parse(spec.presets)) {
      preset.append(new Option(`${label} · ${width}×${height}`, `${width}x${height}`));
    }
    preset.append(new Option("custom", ""));
    if (reset) setSize(...JSON.parse(spec.presets)[0].slice(1));
    else matchPreset(keep);
  };
  const matchPreset = (size = `${fields.width.value}x${fields.height.value}`) => {
    preset.value = [...preset.options].some((option) => option.value === size) ? size : "";
  };
  const setSize = (width, height) => {
    fields.width.value = width;
    fields.height.value = height;
    matchPreset();
  };
  model.addEventListener("change", () => { applyModel(true); guidanceRule(); count(); });
  preset.addEventListener("change", () => {
    if (preset.value) setSize(...preset.value.split("x"));
  });
  for (const side of [fields.width, fields.height]) side.addEventListener("input", () => matchPreset());
  $(form, "[data-swap]").addEventListener("click", () => setSize(fields.height.value, fields.width.value));

  // The LoRA adapters offered are those of the chosen model's family; one chosen for another goes.
  const loraNote = $(form, "[data-lora-note]");
  const fitLoras = (family) => {
    const pickers = [...form.querySelectorAll("[data-lora]")];
    let fitting = 0;
    for (const picker of pickers) {
      fitting = 0;
      for (const option of picker.querySelectorAll("[data-lora-family]")) {
        const fits = option.dataset.loraFamily === family;
        option.hidden = option.disabled = !fits;
        if (fits) fitting += 1;
        else if (option.selected) picker.value = "";
      }
    }
    if (!pickers.length || !pickers[0].querySelector("[data-lora-family]")) return;  // none uploaded
    for (const picker of pickers) {
      picker.disabled = fitting === 0;
      fields[picker.name.replace("lora_", "lora_weight_")].disabled = fitting === 0;
    }
    loraNote.textContent = fitting ? loraNote.dataset.fitting : loraNote.dataset.noneFits;
  };

  // The negative prompt is read only under classifier-free guidance, above 1; some models never read it.
  const reason = $(form, "[data-negative-reason]");
  const guidanceRule = () => {
    const spec = chosen();
    const never = spec.negativeRule === "never";
    const off = never || !(Number(guidance.value) > 1);
    negative.disabled = off;
    reason.textContent = never ? `Off: ${spec.negativeWhy}` : reason.dataset.atLowGuidance;
    reason.hidden = !off;
  };
  guidance.addEventListener("input", guidanceRule);

  // The prompt's length in the model's tokens, counted by the server.
  let pending = null;
  const count = () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      if (!prompt.value.trim()) {
        tokens.textContent = "";
        return;
      }
      const query = new URLSearchParams({ model: model.value, text: prompt.value });
      try {
        const answer = await fetch(`${form.dataset.tokens}?${query}`, { headers: { Accept: "application/json" } });
        const found = await answer.json();
        if (found.tokens === null || found.tokens === undefined) {
          tokens.textContent = "";
          return;
        }
        const over = found.tokens > found.limit;
        tokens.textContent = over
          ? `${found.tokens} of ${found.limit} tokens: the model reads the first ${found.limit}, the rest is cut`
          : `${found.tokens} of ${found.limit} tokens`;
        tokens.classList.toggle("over", over);
      } catch {
        tokens.textContent = "";
      }
    }, 250);
  };
  prompt.addEventListener("input", count);

  // Ctrl+Enter (or ⌘+Enter) generates from anywhere in the form.
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // A PNG dropped on the form (not on Image) fills it from the parameters it carries.
  const note = $(form, "[data-drop-note]");
  const zone = $(form, "[data-drop-zone]");
  for (const target of [form, zone]) {
    target.addEventListener("dragover", (event) => {
      event.preventDefault();
      target.classList.add("over");
    });
    target.addEventListener("dragleave", () => target.classList.remove("over"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    event.stopPropagation();
    zone.classList.remove("over");
    const dropped = event.dataTransfer.files[0];
    if (dropped) input.use(dropped);
  });
  form.addEventListener("drop", async (event) => {
    event.preventDefault();
    form.classList.remove("over");
    const dropped = event.dataTransfer.files[0];
    if (dropped) await readSettings(dropped);
  });
  document.addEventListener("paste", (event) => {
    const pasted = [...(event.clipboardData?.files || [])].find((item) => item.type.startsWith("image/"));
    if (pasted) input.use(pasted);
  });

  const readSettings = async (dropped) => {
    const body = new FormData();
    body.set("csrf_token", fields.csrf_token.value);
    body.set("file", dropped);
    let found;
    try {
      const answer = await fetch(form.dataset.png, { method: "POST", body, headers: { Accept: "application/json" } });
      found = await answer.json();
    } catch {
      unreachable();
      return;
    }
    note.hidden = false;
    if (!found.source) {
      note.textContent = "This picture carries no settings Sfumato can read: drop it on Image to start from it.";
      return;
    }
    fill(found.fields);
    note.textContent = `The form now holds the settings of this ${found.source} PNG.`;
  };

  const fill = (values) => {
    if (values.model && values.model !== model.value) {
      model.value = values.model;
      applyModel(true);
    }
    for (const [name, value] of Object.entries(values)) {
      const field = fields[name];
      if (!field || name === "model") continue;
      if (field.type === "checkbox") field.checked = Boolean(value);
      else field.value = value;
    }
    fields.seed.disabled = fields.random_seed.checked;
    matchPreset();
    guidanceRule();
    count();
  };

  const unreachable = () => {
    const banner = document.querySelector("[data-unreachable]");
    banner.hidden = false;
    banner.scrollIntoView({ block: "nearest" });
  };

  // Generate: the form goes in the background; the job is followed in the result panel.
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    if (!prompt.value.trim()) {
      errorAt("prompt", "Write a prompt: spaces alone say nothing to draw.");
      return;
    }
    const body = new FormData(form);
    const mask = await input.mask();
    if (mask) body.set("mask", mask, "mask.png");
    if (!input.hasImage()) {
      body.delete("image");
      body.delete("image_id");
    }
    let answer;
    try {
      answer = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" } });
    } catch {
      unreachable();
      return;
    }
    document.querySelector("[data-unreachable]").hidden = true;
    const found = await answer.json().catch(() => null);
    if (!answer.ok || !found || !found.job) {
      const error = found?.error || { message: `The server answered ${answer.status}.` };
      errorAt(error.param || "form", error.message);
      return;
    }
    follow(found);
  });

  const follow = (made) => {
    if (following) following.stop();
    const parts = {
      status: $(panel, "[data-result-status]"),
      progress: $(panel, "[data-result-progress]"),
      connection: $(panel, "[data-connection]"),
      previewFigure: $(panel, "[data-preview-figure]"),
      preview: $(panel, "[data-preview]"),
    };
    const images = $(panel, "[data-result-images]");
    const warnings = $(panel, "[data-result-warnings]");
    images.replaceChildren();
    warnings.hidden = true;
    parts.previewFigure.hidden = true;
    // The preview takes the place the image will take: its size, fit to the column.
    Object.assign(parts.preview, { width: made.job.params.width, height: made.job.params.height });
    parts.previewFigure.style.maxWidth = `${made.job.params.width}px`;
    parts.progress.hidden = false;
    parts.progress.value = 0;
    parts.connection.hidden = true;
    parts.status.textContent = "Queued: waiting for a worker";
    const link = $(panel, "[data-result-page]");
    link.href = made.page;
    link.parentElement.hidden = false;
    if (window.matchMedia("(max-width: 62rem)").matches) panel.scrollIntoView({ block: "start" });
    following = followJob(parts, {
      events: made.events,
      result: `${made.page}/result`,
      onEnd: (job) => {
        showImages(images, job);
        const notes = [...job.warnings, ...(job.error ? [job.error.message] : [])];
        warnings.textContent = notes.join(" ");
        warnings.hidden = notes.length === 0;
      },
    });
  };

  applyModel(false);
  guidanceRule();
  count();
}
