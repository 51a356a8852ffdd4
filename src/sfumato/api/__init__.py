"""HTTP: FastAPI routes, auth, the error envelope. Translates; decides nothing."""
