"""The command line: Typer commands that parse, call the client API and render."""
