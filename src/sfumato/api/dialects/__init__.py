"""The dialects of existing clients (docs/clients.md): a package each, with its request and answer shapes
(schemas), its translation to and from the one GenerationRequest (translate), and its thin routes.
Nothing below api/ knows that dialects exist."""
