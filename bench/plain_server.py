"""The baseline: the server people write themselves around a diffusers pipeline.

One pipeline, called once per request, behind a lock (a pipeline's scheduler is not safe to share
between threads), the image saved as PNG the usual way, the bytes returned. No queue, no batching,
no database. `python -m bench.serve` runs it beside Sfumato on the same model.

    python -m bench.plain_server --model tiny --port 8100
"""

import argparse
import io
import threading

import torch
import uvicorn
from fastapi import FastAPI, Response
from pydantic import BaseModel

from sfumato.config import Settings
from sfumato.engine.device import pick_device
from sfumato.services.startup import engine_options


class Request(BaseModel):
    prompt: str
    seed: int = 0
    width: int = 1024
    height: int = 1024
    steps: int = 4
    guidance_scale: float = 0.0


def load_pipeline(model: str) -> object:
    """The same weights Sfumato serves: the random-weight models are built, the real one loaded."""
    device = pick_device("auto")
    if model == "tiny":
        from sfumato.engine.tiny import build_tiny_pipeline

        return build_tiny_pipeline(device)
    from sfumato.engine.registry import load_engine

    return load_engine(model, engine_options(Settings(model=model))).pipe


def create_app(model: str) -> FastAPI:
    app = FastAPI()
    pipe = load_pipeline(model)
    pipe.set_progress_bar_config(disable=True)  # type: ignore[attr-defined]
    lock = threading.Lock()

    @app.post("/generate")
    def generate(request: Request) -> Response:  # FastAPI runs it in its thread pool
        with lock:
            image = pipe(  # type: ignore[operator]
                prompt=request.prompt,
                width=request.width,
                height=request.height,
                num_inference_steps=request.steps,
                guidance_scale=request.guidance_scale,
                generator=torch.Generator().manual_seed(request.seed),
            ).images[0]
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return Response(buffer.getvalue(), media_type="image/png")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.plain_server")
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    uvicorn.run(create_app(args.model), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
