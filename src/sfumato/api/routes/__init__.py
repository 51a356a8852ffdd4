"""One module per group of routes; each is thin: call a service, shape the answer."""
