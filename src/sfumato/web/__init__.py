"""The dashboard (docs/dashboard.md): server-rendered pages for the people who hold the keys, at `/`.

Jinja2 templates with autoescaping, a stylesheet and a few small JavaScript modules, all shipped in the
package (no CDN, no build step); the same services as the API, under the same rules.
"""
