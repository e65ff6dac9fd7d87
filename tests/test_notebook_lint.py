"""The lesson contract, checked: every lesson opens and closes the same way, has at most
four objectives each tested by an exercise, states teaching and exercise minutes,
records predictions before its experiments and reveals them after, shows the plain
socket calls before the helpers that repeat them, links its jargon to the glossary,
points only to lessons that exist, and is committed executed and in sync.

## The lesson contract (tests/test_notebook_lint.py checks most of it; it is the spec)
- Lessons are `notebooks/NN-slug.ipynb`, written as the jupytext `py:percent` source `notebooks/NN-slug.py` beside it; exercise notebooks `exercises/NN-slug-exercises.py/.ipynb`. Edit the `.py`, then execute with `.venv/bin/python tests/tools/execute_notebooks.py notebooks/NN-slug.py exercises/NN-slug-exercises.py` (it converts and executes in a fresh kernel and saves the .ipynb with outputs). Then `.venv/bin/python -m pytest -q -p no:cacheprovider notebooks/NN-slug.ipynb exercises/NN-slug-exercises.ipynb` (nbval; default addopts) and `.venv/bin/python -m pytest -q -p no:cacheprovider -o addopts="" tests/test_notebook_lint.py -k NN-slug`.
- Curriculum now: 00-start-here, 01-loopback-range, 02-localhost-is-a-name, 03-bind-address (127.0.0.1 versus 0.0.0.0), 04-loopback-interface (lo, an interface like any other: counters, ping, lo down, port shadowing, auditing your listeners), 05-ipv6-loopback, 06-loopback-at-work (dev servers and default binds, a container's own loopback, a forwarder like ssh -L, a throwaway PostgreSQL server), 07-measuring-loopback (a capture on lo, round trips, throughput, CPU placement, the Nagle stall). 08-when-loopback-leaks (martians and route_localnet, DNS rebinding and Host validation, 0.0.0.0 in browsers, published ports, a checklist). Refer to other lessons by number only for 00–08.
- First cell: `# NN · Title`, then `**Objectives.** After this lesson you can:` with 1–4 bullets, EACH ending with the exercises that test it, e.g. `*(exercises 01.loopback-size, 01.slash16-size)*`; then `**Prerequisites.** ...`; then `**Minutes:** T teaching + E exercises.` with realistic numbers at a novice's pace (reading every cell, predicting, running; count it honestly). At least 3 exercises per lesson (lesson 00: at least 1), every objective tested by at least one.
- Predict, then run, for real: at least 2 recorded predictions per lesson, at its key surprises. Pattern, in a code cell BEFORE the experiment:
  ```python
  # 🔮 Your prediction: for each server, will the phone connect? (True or False)
  prediction = {"127.0.0.1": ..., "0.0.0.0": ...}
  ### BEGIN SOLUTION
  prediction = {"127.0.0.1": True, "0.0.0.0": True}  # an example prediction
  ### END SOLUTION
  predict("03.phone-reaches", prediction)
  ```
  (`from loopedu.exercises import predict, reveal`). The learner's workspace strips the solution block, so learners see `...` and write their own; the reference keeps a plausible *example* prediction (a common misconception is best: the stored output then shows a surprise) so CI executes the comparison. In the experiment's cell (or right after), `reveal("03.phone-reaches", actual_value_in_the_same_shape, why="one or two sentences: why the machine did that")`. A skipped prediction is fine (predict notes it). Prediction ids: `NN.words-with-hyphens`, NN = the lesson.
- Show the sockets: before any helper that repeats an experiment (loopedu.reachability/measure/lan/unix_sockets/localhost.localhost_trap…), show the plain standard-library calls the lesson is about (socket.socket, bind, listen, accept, connect, getaddrinfo; 5–15 lines) and what they printed; then use the helper at scale (the d2l way: the package never hides code the reader has not seen). Close every socket (use `with`).
- Jargon defined at first use, and linked to the glossary: `[SYN](glossary.md#syn)` (the file is notebooks/glossary.md, anchors are its `<a id="...">` lines: ip-address loopback lo interface prefix-length special-purpose unspecified mapped dual-stack link-local localhost resolver hosts-file nsswitch nscd dns local-table weak-host socket bind port tcp syn unix-socket abstract-socket icmp reuseport errno econnrefused eaddrinuse eaddrnotavail enetunreach eafnosupport address-family kernel root network-namespace user-namespace veth sysctl route-localnet local-network-access pod firewall; and the others its `<a id>` lines name). Do not edit glossary.md; if you need a term it lacks, say so in your report (term + one-line definition + source).
- Citations a novice does not need move to the lesson's Sources section; keep the one that settles a surprising claim inline, briefly. Every factual claim still has its primary source (RFC and section, man page, vendor doc, issue) in the lesson; read ../shared/FACTS.md (checked facts with primary sources) before writing, and never state a claim it does not support.
- Dictionaries printed as if they were experiments become Markdown tables: `from IPython.display import Markdown; Markdown(platforms.loopback_range_table())` / `platforms.dual_stack_table()` / `platforms.markdown_table(headers, rows)`.
- Reference outputs agree with the text: where an output depends on platform or privilege, print `doctor.this_machine()` in that cell ("Linux, as root, IPv6 on") or say in the text what the reference run was; numbers in prose come from outputs or sources, never typed and left stale (say "tens of microseconds" rather than "26 µs" unless computed); text never contradicts what a stored output shows.
- Keep: a `## 💥 Break it on purpose` section whose error is explained; `## Your turn` pointing to `../exercises/NN-slug-exercises.ipynb` (a relative Markdown link that works in the learner's workspace, which has the same notebooks/ and exercises/ folders); the last cell `## Key points` and `## Sources`. `# NBVAL_CHECK_OUTPUT` only on cells whose output is deterministic on every machine the suite runs (root, an ordinary user, IPv6 off); tests/sanitize.cfg normalises ports and times.
- Each notebook runs in seconds. Experiments: ephemeral ports only (bind port 0), loopback or namespaces the course makes, everything closed.
- Exercises: checkers in loopedu/exercises/lessonNN.py (`@exercise`, `expect_*` helpers; read framework.py, answers.py, lesson03.py for the style: feedback that helps, never reveals the solution, keys from primary sources); the exercise notebook cell pattern is `answer = None` + solution block + `check("NN.id", answer)`; tests in tests/test_exercises_lessonNN.py: the right answer passes, typical wrong answers fail with a helpful message that does not contain the solution, keys checked against independent truth (RFC tables, a live run of the real thing, glibc), never against the code under test.
- Library code: small modules, docstrings naming the lesson ("Introduced in notebooks/NN-slug.ipynb."), typed frozen results, no fixed /tmp paths, tests that can fail and share nothing (no os.environ change outliving a test).
"""

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from loopedu.doctor import LESSONS as CURRICULUM_LESSONS
from loopedu.exercises import catalog

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("[0-9][0-9]-*.ipynb"))
ALL = LESSONS + EXERCISES
CURRICULUM = {number for number, _, _ in CURRICULUM_LESSONS}
NAME = re.compile(r"^(\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*\.ipynb$")
GLOSSARY = ROOT / "notebooks" / "glossary.md"


def ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


def test_there_are_lessons_and_exercises():
    assert LESSONS and EXERCISES


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_name_is_lesson_number_and_slug(path):
    m = NAME.match(path.name)
    assert m, f"{path.name}: name notebooks NN-slug.ipynb"
    assert m.group(1) in CURRICULUM, f"{path.name}: NN must be a lesson of the curriculum"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_executed_in_order_with_python3_kernel(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert None not in counts, f"{path.name}: commit it executed (tests/tools/execute_notebooks.py)"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run top to bottom in a fresh kernel"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: committed with an error output"


def text_of(path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)


def code_cells(path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_the_curriculum_is_the_lessons_on_disk():
    assert [p.stem for p in LESSONS] == [f"{n}-{slug}" for n, slug, _ in CURRICULUM_LESSONS]


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_opens_with_title_objectives_prerequisites_minutes(path):
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown"
    assert re.match(r"^# \d\d · \S", first.source), "first line: '# NN · Title'"
    for part in ("**Objectives.**", "**Prerequisites.**"):
        assert part in first.source, f"missing {part}"
    assert re.search(r"\*\*Minutes:\*\* \d+ teaching \+ \d+ exercises", first.source), \
        "state **Minutes:** N teaching + M exercises (; Going further: G more)"


def _minutes(path):
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "tools"))
    from lesson_minutes import estimate

    return estimate(path)


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_the_main_path_fits_its_stated_minutes(path):
    """At a learner's pace (tests/tools/lesson_minutes.py: 120 words a minute, 1.5 min a
    code cell, 2.5 a prediction, 3 a widget) the main path, and reading what it prints,
    takes no longer than the teaching minutes stated; the statement is not padded."""
    e = _minutes(path)
    realistic = e.main + e.output_minutes
    assert realistic <= e.stated_teaching, (
        f"{path.name}: main path about {e.main} min and {e.output_minutes} more to read its "
        f"outputs, stated {e.stated_teaching}: move what a first pass does not need into "
        "'## Going further', or state the minutes it takes")
    assert e.stated_teaching <= realistic + 5, f"{path.name}: {e.stated_teaching} stated"
    if e.further:
        assert e.stated_further is not None and e.further <= e.stated_further, (
            f"{path.name}: Going further takes about {e.further} min: state it")


def test_printed_outputs_count_as_reading_but_drawings_and_going_further_do_not(tmp_path):
    """The "+outputs" column: 240 words printed on the main path are 2 minutes at 120
    words a minute; a drawing's alt text, a figure and what Going further prints are
    not counted."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    words = " ".join(["word"] * 240)
    first = new_markdown_cell("# A lesson\n**Minutes:** 10 teaching + 5 exercises")
    printed = new_code_cell("print(words)", outputs=[new_output("stream", text=words)])
    drawing = new_code_cell("drawings.x()", outputs=[new_output(
        "execute_result", data={"text/html": "<svg></svg>", "text/plain": words})])
    figure = new_code_cell("plot()", outputs=[new_output(
        "display_data", data={"image/png": "", "text/plain": words})])
    later = new_code_cell("print(words)", outputs=[new_output("stream", text=words)])
    path = tmp_path / "lesson.ipynb"
    nbformat.write(new_notebook(cells=[first, printed, drawing, figure,
                                       new_markdown_cell("## Going further"), later]), path)
    assert _minutes(path).output_minutes == 2.0


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_the_main_path_speaks_in_short_sentences(path):
    e = _minutes(path)
    assert e.words_a_sentence <= 18, (
        f"{path.name}: {e.words_a_sentence} words a sentence in the main path (aim for 15)")


def objectives(path) -> list[str]:
    first = nbformat.read(path, as_version=4).cells[0].source
    block = first.split("**Objectives.**", 1)[1].split("**Prerequisites.**", 1)[0]
    items, current = [], None
    for line in block.splitlines():
        if line.startswith("- "):
            current = line
            items.append(current)
        elif items and line.startswith("  "):
            items[-1] += " " + line.strip()
    return items


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_at_most_four_objectives_each_tested_by_an_exercise(path):
    number = path.name[:2]
    mine = {ident for ident in catalog() if ident.startswith(number + ".")}
    items = objectives(path)
    assert 1 <= len(items) <= 4, f"{len(items)} objectives: at most 4"
    for item in items:
        cited = re.findall(r"\b(\d\d\.[a-z0-9-]+[a-z0-9])", item)
        assert cited, f"objective tested by no exercise: {item!r} (cite *(exercise NN.id)*)"
        assert set(cited) <= mine, f"{item!r} cites exercises that are not this lesson's"
    assert len(mine) >= (1 if number == "00" else 3), f"lesson {number}: at least 3 exercises"


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_predictions_are_recorded_then_revealed(path):
    cells = code_cells(path)
    predicted = [(i, m) for i, c in enumerate(cells)
                 for m in re.findall(r'predict\("(\d\d\.[a-z0-9-]+)"', c)]
    assert len({m for _, m in predicted}) >= 2, "record at least 2 predictions"
    for index, ident in predicted:
        assert ident.startswith(path.name[:2] + ".")
        later = "\n".join(cells[index + 1:])
        assert f'reveal("{ident}"' in later, f"{ident} is predicted but never revealed"


HELPERS = re.compile(r"\b(experiments|measure|lan|unix_sockets)\.|localhost\.(localhost_trap|"
                     r"trap_here|compare_with_resolver)")
PLAIN = re.compile(r"socket\.(socket|getaddrinfo|create_connection)\(")


@pytest.mark.parametrize("path", [p for p in LESSONS if p.name[:2] != "00"],
                         ids=ids([p for p in LESSONS if p.name[:2] != "00"]))
def test_plain_socket_calls_come_before_the_helpers_that_repeat_them(path):
    cells = code_cells(path)
    plain = next((i for i, c in enumerate(cells) if PLAIN.search(c)), None)
    helper = next((i for i, c in enumerate(cells) if HELPERS.search(c)), None)
    assert plain is not None, "show the standard-library calls the lesson is about"
    assert helper is None or plain < helper, "show the plain calls before the helper"


def test_lesson_00_has_the_learner_write_a_bind_and_a_connect():
    text = text_of(ROOT / "notebooks" / "00-start-here.ipynb")
    blocks = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", text, flags=re.S)
    solution = "\n".join(blocks)
    assert ".bind(" in solution and ".connect(" in solution


def glossary_anchors() -> set[str]:
    return set(re.findall(r'<a id="([a-z0-9-]+)"></a>', GLOSSARY.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_jargon_links_to_the_glossary(path):
    links = re.findall(r"\]\(glossary\.md(?:#([a-z0-9-]+))?\)", text_of(path))
    assert links, "link jargon to glossary.md at first use"
    missing = {a for a in links if a and a not in glossary_anchors()}
    assert not missing, f"no such glossary entries: {sorted(missing)}"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_points_only_to_lessons_that_exist(path):
    for match in re.finditer(r"\b[Ll]essons? (\d\d(?:(?:, | and | or |/)\d\d)*)",
                             text_of(path)):
        for number in re.findall(r"\d\d", match.group(1)):
            assert number in CURRICULUM, f"{match.group(0)!r}: there is no lesson {number}"


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_closes_with_key_points_and_sources(path):
    last = nbformat.read(path, as_version=4).cells[-1]
    assert last.cell_type == "markdown"
    assert "## Key points" in last.source and "## Sources" in last.source
    assert re.search(r"RFC \d+|https://", last.source.split("## Sources", 1)[1])


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_breaks_something_on_purpose(path):
    assert "Break it on purpose" in text_of(path)


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_each_lesson_has_an_exercise_notebook(path):
    number = path.name[:2]
    assert any(e.name.startswith(number + "-") for e in EXERCISES), \
        f"no exercises/{number}-*.ipynb"


@pytest.mark.parametrize("path", EXERCISES, ids=ids(EXERCISES))
def test_exercise_notebook_has_solutions_and_checks(path):
    text = text_of(path)
    assert text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION") > 0
    assert "check(" in text


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_example_predictions_in_lessons_are_marked_for_the_workspace(path):
    text = text_of(path)
    assert text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION")


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_paired_py_percent_source_is_in_sync(path):
    py = path.with_suffix(".py")
    assert py.is_file(), f"{py.name} missing: notebooks are written as jupytext py:percent"
    source = [(c.cell_type, c.source.strip()) for c in jupytext.read(py).cells]
    stored = [(c.cell_type, c.source.strip()) for c in nbformat.read(path, as_version=4).cells]
    assert source == stored, f"{path.name} is stale: run tests/tools/execute_notebooks.py {py.name}"
