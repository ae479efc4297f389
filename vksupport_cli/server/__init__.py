"""The reference HTTP server over the desk (needs the `server` extra: starlette, uvicorn)."""
