"""Help-centre search: quality against a baseline and a git ref, latency, build time and size.

Run from the project root:

    .venv/bin/python bench/search_quality.py                 # 10,000-article corpus, "before" = main
    .venv/bin/python bench/search_quality.py --sizes 10000,100000 --before HEAD~3

See bench/README.md for what each section means. The baseline code lives here,
not in the package: it is plain SQLite FTS5 (``unicode61``) with bm25 over
title, body and tags of the original shared corpus. "before" is the package of
another git ref (``git archive`` into a temporary directory), scored by this same
script in a child process, on the original articles and on that ref's shipped corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if __name__ == "__main__" and "--package-root" in sys.argv:  # the child scoring another git ref
    sys.path.insert(0, sys.argv[sys.argv.index("--package-root") + 1])

from vksupport_cli.desk import db, helpcenter, search, textnorm  # noqa: E402

SHARED = ROOT.parent / "shared" / "help-center"
ORIGINAL = SHARED / "articles.jsonl"
QUERIES = SHARED / "queries-dev.jsonl"
#: Queries written for this project from the articles' content (none from the dev set), to
#: check that what helps the dev set generalises: same kinds, other words.
OWN_QUERIES = ROOT / "tests" / "data" / "search_queries.jsonl"
KINDS = ["exact", "morphology", "synonym", "colloquial", "typo", "layout", "english", "long", "translit"]


# -- quality -----------------------------------------------------------------


def read_queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def evaluate(ranker, queries: list[dict]) -> dict[str, tuple[float, float, int]]:
    """kind → (MRR@5, hit@1, n); kind 'all' for the whole set."""
    per: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for q in queries:
        try:
            ranked = ranker(q["q"])[:5]
        except Exception:  # noqa: BLE001 - a ranker that fails a query scores 0 on it
            ranked = []
        rr = next((1 / i for i, slug in enumerate(ranked, 1) if slug in q["expected"]), 0.0)
        hit = 1.0 if ranked and ranked[0] in q["expected"] else 0.0
        for kind in ("all", q["kind"]):
            per[kind].append((rr, hit))
    return {k: (sum(r for r, _ in v) / len(v), sum(h for _, h in v) / len(v), len(v)) for k, v in per.items()}


class PlainFts:
    """Baseline: FTS5 with ``unicode61`` and bm25 over title, body, tags; words OR-ed."""

    def __init__(self, articles: list[dict], stem: bool = False):
        self.stem = stem
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute("CREATE VIRTUAL TABLE docs USING fts5(slug UNINDEXED, title, body, tags)")
        self.conn.executemany(
            "INSERT INTO docs VALUES (?, ?, ?, ?)",
            [
                (a["slug"], self._text(a["title"]), self._text(a["body"]), self._text(" ".join(a["tags"])))
                for a in articles
            ],
        )

    def _words(self, text: str) -> list[str]:
        if self.stem:
            return [textnorm.stem(w) for w in textnorm.words(text)]
        return re.findall(r"[^\W_]+", text.lower())

    def _text(self, text: str) -> str:
        return " ".join(self._words(text)) if self.stem else text

    def __call__(self, query: str) -> list[str]:
        terms = self._words(query)
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rows = self.conn.execute(
            "SELECT slug FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10", (match,)
        )
        return [r[0] for r in rows]


def package_ranker(conn: sqlite3.Connection):
    def rank(query: str) -> list[str]:
        return [slug for slug, _ in search.search(conn, query, limit=10)]

    return rank


def open_desk(path: Path, articles: list[dict]) -> sqlite3.Connection:
    conn = db.connect(path)
    helpcenter.load(conn, articles)
    return conn


# -- re-typed queries ----------------------------------------------------------

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e yo zh z i y k l m n o p r s t u f h ts ch sh sch _ y _ e yu ya".split(),  # noqa: SIM905 - one line reads as the alphabet above it
        strict=True,
    )
)
_ALPHABET = "абвгдежзийклмнопрстуфхцчшщыьэюя"


def retyped(queries: list[dict], seed: int) -> dict[str, list[dict]]:
    """The Russian dev queries as if typed on the Latin layout, transliterated, or with typos.

    A check of the method rather than of the content: the same questions, mangled
    the way people mangle them. Typos: one random edit (drop, swap, replace,
    double) in 70% of the words of 5+ letters, with a fixed seed.
    """
    rng = random.Random(seed)
    russian = [q for q in queries if q["kind"] not in ("layout", "translit", "english")]

    def translit(text: str) -> str:
        return "".join(_TRANSLIT.get(c, c) for c in text.lower()).replace("_", "")

    def typo(text: str) -> str:
        out = []
        for w in text.split():
            if len(w) >= 5 and w.isalpha() and rng.random() < 0.7:
                i = rng.randrange(1, len(w) - 1)
                op = rng.choice("dsrt")
                if op == "d":
                    w = w[:i] + w[i + 1 :]
                elif op == "s":
                    w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
                elif op == "r":
                    w = w[:i] + rng.choice(_ALPHABET) + w[i + 1 :]
                else:
                    w = w[:i] + w[i] + w[i:]
            out.append(w)
        return " ".join(out)

    return {
        "as typed": russian,
        "Latin layout": [dict(q, q=textnorm.to_layout(q["q"])) for q in russian],
        "transliterated": [dict(q, q=translit(q["q"])) for q in russian],
        "with typos": [dict(q, q=typo(q["q"])) for q in russian],
    }


# -- generated corpus ----------------------------------------------------------


def generate(articles: list[dict], size: int, seed: int = 20240611) -> list[dict]:
    """``size`` articles: the bundled ones plus recombinations of their sentences and words."""
    rng = random.Random(seed)
    sentences = [s.strip() for a in articles for s in re.split(r"(?<=[.!?:])\s+|\n+", a["body"]) if s.strip()]
    title_words = [w for a in articles for w in a["title"].split()]
    en_words = [w for a in articles for w in a.get("title_en", "").split()]
    tags = [t for a in articles for t in a["tags"]]
    keywords = [k for a in articles for k in a.get("keywords", [])]
    categories = sorted({a["category"] for a in articles})
    out = [dict(a) for a in articles]
    for i in range(size - len(out)):
        out.append(
            {
                "slug": f"gen-{i:06d}",
                "category": rng.choice(categories),
                "title": " ".join(rng.sample(title_words, rng.randint(3, 7))),
                "title_en": " ".join(rng.sample(en_words, rng.randint(3, 6))) if en_words else "",
                "body": " ".join(rng.sample(sentences, rng.randint(6, 14))),
                "tags": rng.sample(tags, 4),
                "keywords": rng.sample(keywords, min(len(keywords), 8)),
                "can_ask": rng.random() < 0.3,
            }
        )
    return out


# -- timing --------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latencies(conn: sqlite3.Connection, queries: list[str], rounds: int) -> list[float]:
    for q in queries:  # warm the page cache and the stemmer
        search.search(conn, q)
    out = []
    for _ in range(rounds):
        for q in queries:
            start = time.perf_counter()
            search.search(conn, q)
            out.append((time.perf_counter() - start) * 1000)
    return out


def index_bytes(conn: sqlite3.Connection) -> tuple[int, int]:
    """(bytes of search_* tables and their indexes, bytes of the articles table)."""
    rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    idx = sum(s for n, s in rows if n.startswith("search_") or n.startswith("sqlite_autoindex_search_"))
    art = sum(s for n, s in rows if n == "articles" or n.startswith("sqlite_autoindex_articles"))
    return idx, art


def rebuild_seconds(conn: sqlite3.Connection) -> float:
    start = time.perf_counter()
    with db.write(conn):
        search.rebuild_index(conn)
    return time.perf_counter() - start


def _child_env(pycache: Path) -> dict[str, str]:
    """Child processes as an installed CLI runs: with a bytecode cache (kept in ``pycache``)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def cold_ms(args: list[str], runs: int, env: dict[str, str]) -> float:
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT, env=env)  # fill the bytecode cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, cwd=ROOT, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def import_ms(env: dict[str, str], runs: int) -> float:
    """Median cumulative import time of vksupport_cli.desk.search (``python -X importtime``)."""
    args = [sys.executable, "-X", "importtime", "-c", "import vksupport_cli.desk.search"]
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT, env=env)
    times = []
    for _ in range(runs):
        proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, check=True)
        for line in proc.stderr.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 3 and parts[2] == "vksupport_cli.desk.search":
                times.append(int(parts[1]) / 1000)
    return statistics.median(times) if times else float("nan")


CLI_QUERIES = [
    "взломали страницу",
    "pf,scn gfhjkm",
    "how to delete my page",
    "Вчера у меня пропал доступ к странице, помогите",
]


def cli_startup(tree: Path, opts, tmp: Path, env: dict[str, str], floor: float) -> float:
    """``vksupport search-help Q --json`` in fresh processes, this tree against the ``--before``
    tree, interleaved run by run so that both see the same load; each tree has its own sandbox
    (``VKSUPPORT_HOME``), whose help centre and index the first, untimed, call builds."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); from vksupport_cli.cli.main import main; "
        "sys.argv = ['vksupport', 'search-help', sys.argv[2], '--json']; main()"
    )
    roots = {"after": ROOT, "before": tree}
    envs = {name: dict(env, VKSUPPORT_HOME=str(tmp / f"home-{name}")) for name in roots}
    times: dict[str, list[float]] = {name: [] for name in roots}
    for name, root in roots.items():
        subprocess.run(
            [sys.executable, "-c", script, str(root), "x"],
            env=envs[name],
            cwd=tmp,
            check=False,
            capture_output=True,
        )
    for _ in range(opts.cold_runs):
        for q in CLI_QUERIES:
            for name, root in roots.items():
                start = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-c", script, str(root), q],
                    env=envs[name],
                    cwd=tmp,
                    check=True,
                    capture_output=True,
                )
                times[name].append((time.perf_counter() - start) * 1000)
    after, before = statistics.median(times["after"]), statistics.median(times["before"])
    print(
        f"{'vksupport search-help Q --json (' + opts.before + ')':<46} {before:7.1f} ms  {before / floor:4.2f}x"
    )
    print(f"{'vksupport search-help Q --json (this tree)':<46} {after:7.1f} ms  {after / floor:4.2f}x")
    print(
        f"  start-up delta, this tree - {opts.before}: {after - before:+.1f} ms (target <= +30 ms), median of"
        f" {len(times['after'])} runs each over {len(CLI_QUERIES)} queries, interleaved"
    )
    return after - before


def print_targets(dev: dict[str, dict], speed: dict, startup_delta: float | None) -> None:
    """Issue 16's "Done when", each with the figure measured above and pass/MISS."""
    print()
    print("## Targets (issue 16)")
    rows = []
    orig, ship = dev.get("after/orig"), dev.get("after/ship")
    if orig and ship:
        rows.append(("after/orig dev MRR@5 >= 0.90", f"{orig['all'][0]:.3f}", orig["all"][0] >= 0.90))
        rows.append(("after/orig dev hit@1 >= 0.85", f"{orig['all'][1]:.2f}", orig["all"][1] >= 0.85))
        weakest = min((k for k in orig if k != "all"), key=lambda k: orig[k][0])
        rows.append(
            ("after/orig every kind >= 0.85", f"{weakest} {orig[weakest][0]:.3f}", orig[weakest][0] >= 0.85)
        )
        worse = [k for k in orig if ship[k][0] < orig[k][0] - 1e-9]
        rows.append(("after/ship >= after/orig (each kind)", ", ".join(worse) or "yes", not worse))
    if 10000 in speed:
        p50, p99, _build, _mb = speed[10000]
        rows.append(
            ("10,000 articles: p50 < 20 ms, p99 < 60 ms", f"{p50:.1f} / {p99:.1f} ms", p50 < 20 and p99 < 60)
        )
    if 100000 in speed:
        _p50, _p99, build, mb = speed[100000]
        rows.append(("100,000 articles: index built < 60 s", f"{build:.1f} s, {mb:.0f} MB", build < 60))
    if startup_delta is not None:
        rows.append(
            ("search-help --json start-up <= +30 ms", f"{startup_delta:+.1f} ms", startup_delta <= 30)
        )
    for what, figure, ok in rows:
        print(f"{what:<46} {figure:>24}  {'pass' if ok else 'MISS'}")


# -- report --------------------------------------------------------------------


def before_tree(ref: str, tmp: Path) -> Path | None:
    """The package of git ``ref`` extracted into ``tmp/before`` (``git archive``), or None."""
    tree = tmp / "before"
    if tree.exists():
        return tree
    archive = subprocess.run(
        ["git", "archive", ref, "vksupport_cli"], cwd=ROOT, capture_output=True, check=False
    )
    if archive.returncode:
        print(f"(no 'before' column: git archive {ref} failed: {archive.stderr.decode().strip()})")
        return None
    tree.mkdir()
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def before_scores(ref: str, tmp: Path, query_sets: dict[str, Path]) -> dict[str, dict] | None:
    """The package of git ``ref`` scored in a child process: {corpus: {set: {kind: [mrr, hit, n]}}}."""
    tree = before_tree(ref, tmp)
    if tree is None:
        return None
    args = [sys.executable, __file__, "--package-root", str(tree), "--child-db", str(tmp / "before-db")]
    for name, path in query_sets.items():
        args += ["--child-queries", f"{name}={path}"]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode:
        print(f"(no 'before' column: scoring {ref} failed: {proc.stderr.strip()[-500:]})")
        return None
    return json.loads(proc.stdout)


def child_main(opts) -> None:
    """Score the package found on sys.path (another ref's) and print JSON for ``before_scores``."""
    Path(opts.child_db).mkdir()
    shipped = helpcenter.read_articles(helpcenter.bundled_corpus())
    sets = {name: read_queries(Path(path)) for name, path in (q.split("=", 1) for q in opts.child_queries)}
    out: dict[str, dict] = {}
    for label, articles in (("orig", helpcenter.read_articles(ORIGINAL)), ("shipped", shipped)):
        ranker = package_ranker(open_desk(Path(opts.child_db) / f"{label}.sqlite3", articles))
        out[label] = {name: evaluate(ranker, qs) for name, qs in sets.items()}
    json.dump(out, sys.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git ref scored as 'before' ('' to skip)")
    parser.add_argument("--package-root", help=argparse.SUPPRESS)
    parser.add_argument("--child-db", help=argparse.SUPPRESS)
    parser.add_argument("--child-queries", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="10000", help="generated corpus sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the queries per latency run")
    parser.add_argument("--cold-runs", type=int, default=7, help="fresh processes per cold-start timing")
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument(
        "--misses", action="store_true", help="list dev queries the chosen method misses at rank 1"
    )
    opts = parser.parse_args()
    if opts.package_root:
        child_main(opts)
        return
    sizes = [int(s) for s in opts.sizes.split(",") if s.strip()]

    original = helpcenter.read_articles(ORIGINAL)
    bundled = helpcenter.read_articles(helpcenter.bundled_corpus())
    queries = read_queries(QUERIES)
    with tempfile.TemporaryDirectory(prefix="vks-bench-") as tmp:
        run(opts, sizes, original, bundled, queries, Path(tmp))


def run(opts, sizes, original, bundled, queries, tmp: Path) -> None:
    python = sys.version.split()[0]
    print(f"# Help-centre search benchmark (Python {python}, SQLite {sqlite3.sqlite_version})")
    print(f"dev queries: {len(queries)} from {QUERIES}")
    print()
    query_sets = {"dev": QUERIES}
    if OWN_QUERIES.exists():
        query_sets["own"] = OWN_QUERIES
    before = before_scores(opts.before, tmp, query_sets) if opts.before else None
    dev_scores: dict[str, dict] = {}  # after/orig, after/ship on the dev set
    speed: dict[int, tuple[float, float, float, float]] = {}  # size → p50, p99, build s, index MB
    startup_delta = None
    methods = [
        ("baseline", "FTS5 unicode61, bm25(title, body, tags), original corpus", PlainFts(original)),
        ("+stem", "same, Snowball-stemmed text and query", PlainFts(original, stem=True)),
    ]
    orig_conn = open_desk(tmp / "original.sqlite3", original)
    methods.append(
        (
            "after/orig",
            "search.search on the original articles (no English titles, no keywords)",
            package_ranker(orig_conn),
        )
    )
    conn = open_desk(tmp / "bundled.sqlite3", bundled)
    chosen = package_ranker(conn)
    methods.append(("after/ship", "search.search on the shipped corpus (data/articles.jsonl)", chosen))
    print("  Columns (MRR@5 / hit@1):")
    for name, what, _ in methods[:2]:
        print(f"  {name:<12} {what}")
    if before:
        print(f"  before/orig  the package of git ref {opts.before!r} on the original articles")
        print(f"  before/ship  the package of git ref {opts.before!r} on the corpus it ships")
    for name, what, _ in methods[2:]:
        print(f"  {name:<12} {what}")
    for set_name, path in query_sets.items():
        qs = read_queries(path)
        print()
        label = "dev set" if set_name == "dev" else "the project's own queries (a check)"
        print(
            f"## Quality on the {label}: {path.relative_to(ROOT.parent) if path.is_relative_to(ROOT.parent) else path}"
        )
        results = [(name, evaluate(ranker, qs)) for name, _, ranker in methods]
        if set_name == "dev":
            dev_scores.update((name, r) for name, r in results if name.startswith("after/"))
        if before:
            results[2:2] = [
                ("before/orig", before["orig"][set_name]),
                ("before/ship", before["shipped"][set_name]),
            ]
        header = f"{'kind':<12} {'n':>3}  " + "  ".join(f"{name:>13}" for name, _ in results)
        print(header)
        print("-" * len(header))
        for kind in ["all", *KINDS]:
            if kind not in results[0][1]:
                continue
            n = results[0][1][kind][2]
            cells = "  ".join(f"{r[kind][0]:.3f} / {r[kind][1]:.2f}" for _, r in results)
            print(f"{kind:<12} {n:>3}  {cells}")
    if opts.misses:
        print()
        print("Dev queries the chosen method does not rank first:")
        for q in queries:
            got = chosen(q["q"])[:5]
            if not got or got[0] not in q["expected"]:
                print(f"  [{q['kind']}] {q['q']!r}: expected {q['expected']}, got {got[:3]}")

    print()
    print("## Robustness: the Russian dev queries re-typed (MRR@5 / hit@1)")
    variants = retyped(queries, opts.seed)
    print(f"{'variant':<16} {'n':>3}  " + "  ".join(f"{name:>13}" for name, _, _ in methods))
    for label, qs in variants.items():
        cells = "  ".join(
            "{:.3f} / {:.2f}".format(*evaluate(ranker, qs)["all"][:2]) for _, _, ranker in methods
        )
        print(f"{label:<16} {len(qs):>3}  {cells}")

    print()
    print("## Speed (in-process, warm connection; each sample is one search.search call)")
    texts = [q["q"] for q in queries]
    print(
        f"{'corpus':<19} {'p50 ms':>7} {'p99 ms':>7} {'build s':>8} {'index MB':>9}"
        f" {'articles MB':>12} {'dev MRR@5':>10}"
    )

    def report(label: str, c: sqlite3.Connection) -> tuple[float, float, float, float]:
        build = rebuild_seconds(c)
        lat = latencies(c, texts, opts.rounds)
        idx, art = index_bytes(c)
        quality = evaluate(package_ranker(c), queries)["all"][0]
        print(
            f"{label:<19} {percentile(lat, 50):>7.2f} {percentile(lat, 99):>7.2f} {build:>8.2f}"
            f" {idx / 1e6:>9.2f} {art / 1e6:>12.2f} {quality:>10.3f}",
            flush=True,
        )
        return percentile(lat, 50), percentile(lat, 99), build, idx / 1e6

    report(f"bundled ({len(bundled)})", conn)
    conn.close()
    orig_conn.close()
    target = tmp / "bundled.sqlite3"
    for size in sizes:
        path = tmp / f"gen-{size}.sqlite3"
        c = open_desk(path, generate(bundled, size, opts.seed))
        speed[size] = report(f"generated ({size})", c)
        c.close()
        target = path
        for other in tmp.glob("gen-*.sqlite3*"):  # keep only the largest corpus on disk
            if other.name.split(".")[0] != path.name.split(".")[0]:
                other.unlink()
    print("  build s: search.rebuild_index alone; index MB: the search_* tables and their indexes.")
    print("  Generated corpora hold the bundled articles among recombinations of their sentences")
    print("  and keywords: the noise shares the vocabulary, so dev MRR@5 there is only a sanity check.")

    print()
    print("## A fresh process opening the desk and answering one query (the CLI's situation)")
    env = _child_env(tmp / "pycache")
    floor = cold_ms([sys.executable, "-c", "pass"], opts.cold_runs, env)
    print(f"{'python -c pass (floor)':<46} {floor:7.1f} ms  1.00x")
    script = (
        "import sys; from vksupport_cli.desk import db, search; "
        "c = db.connect(sys.argv[1]); search.ensure_index(c); search.search(c, sys.argv[2])"
    )
    for label, q in [
        ("exact", "как удалить страницу"),
        ("layout", "pf,scn gfhjkm"),
        ("translit", "zabyl parol"),
        ("typo", "фотогарфию удалить"),
    ]:
        ms = cold_ms([sys.executable, "-c", script, str(target), q], opts.cold_runs, env)
        what = f"open {target.name} + 1 query ({label})"
        print(f"{what:<46} {ms:7.1f} ms  {ms / floor:4.2f}x")
    if opts.before and (tree := before_tree(opts.before, tmp)) is not None:
        startup_delta = cli_startup(tree, opts, tmp, env, floor)
    imported = import_ms(env, opts.cold_runs)
    print(f"import vksupport_cli.desk.search (-X importtime, cumulative, median): {imported:.1f} ms")
    print(f"  (median of {opts.cold_runs} runs each, with a warm bytecode cache as an installed package has)")
    print_targets(dev_scores, speed, startup_delta)


if __name__ == "__main__":
    main()
