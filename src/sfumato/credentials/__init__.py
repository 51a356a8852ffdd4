"""Content credentials (docs/credentials.md): C2PA manifests signed into the images Sfumato makes, and read
back from any image. `c2pa-python` (the Content Authenticity Initiative's bindings to c2pa-rs) builds, signs,
embeds and validates the manifests; `cryptography` reads the operator's certificate and makes the local one.

The modules import `c2pa` inside their functions' callers only: importing this package costs nothing.
"""
