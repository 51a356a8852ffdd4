"""AUTOMATIC1111's API (docs/clients.md, "AUTOMATIC1111's API"), as SillyTavern, Open WebUI, LibreChat's
Stable Diffusion tool and the `webuiapi` package call it: `/sdapi/v1/txt2img`, `/img2img`, `/options`, the
catalogs, `/progress`, `/interrupt`, `/skip`. Parameters the model cannot honour are translated, never
refused, and the answer's `info` says what ran."""

from sfumato.api.dialects.a1111.routes import router

__all__ = ["router"]
