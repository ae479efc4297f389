"""The second start-up floor: a hello-world Typer app, as its tutorial writes it.

bench/startup.py runs it next to every case: a command of ours should cost no more
than the smallest program built with the same library (issue 15's goal).
"""

import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world") -> None:
    print(f"Hello, {name}!")


if __name__ == "__main__":
    app()
