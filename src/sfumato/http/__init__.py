"""The HTTP kernel both edges stand on: the API (`api/`, for programs) and the dashboard (`web/`, for
people). The error envelope and its status table, the one middleware in front of every route, the
headers every answer gets, the thread hop, the one credentials parser and the one authenticating
dependency, and the typed dependencies through which a route reaches the one service it needs
(docs/architecture.md, "The HTTP kernel")."""
