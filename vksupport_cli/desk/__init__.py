"""The desk: rules, storage and help-centre search. Imports neither Typer nor rich."""
