# Types for the part of pymorphy3 (which ships no type information) this project uses.

class OpencorporaTag:
    POS: str | None
    grammemes: frozenset[str]

class Parse:
    word: str
    normal_form: str
    score: float
    tag: OpencorporaTag
    @property
    def is_known(self) -> bool: ...
    @property
    def lexeme(self) -> list[Parse]: ...

class MorphAnalyzer:
    def __init__(self, path: str | None = ..., lang: str | None = ...) -> None: ...
    def parse(self, word: str) -> list[Parse]: ...
