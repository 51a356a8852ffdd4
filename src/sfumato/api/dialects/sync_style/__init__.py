"""The synchronous dialect (docs/clients.md): `POST /api/generate-image` answers with the image itself.

Its own rules, as its documentation states them: `style` one of five (default photorealistic),
`width`/`height` one of 512, 768, 1024, 1536, 1920 (default 1024), `guidance_scale` 1.0 to 20.0
(default 7.5), `prompt` up to 1000 characters, `n` 1 to 10. Its `url` needs no key until the image
expires. Its guidance scale belongs to undistilled models; it is mapped onto what the served model
can use (translate.model_guidance).
"""

from sfumato.api.dialects.sync_style.routes import router

__all__ = ["router"]
