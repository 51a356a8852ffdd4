"""The job-style dialect (docs/clients.md): `POST /api/v1/image`, then poll `GET /api/v1/image/{job_id}`.

Its clients send `x-api-key` and `{"seed", "width", "height", "prompt", "negative_prompt"}`, get 201
`{"job_id", "status": "processing"}`, and poll until `completed` (with `image_url`) or `failed`.
"""

from sfumato.api.dialects.job_style.routes import router

__all__ = ["router"]
