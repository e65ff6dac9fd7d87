"""End to end, in a real browser: the course started the way the README starts it
(``loopedu lab``, on a fresh workspace), driven with Playwright on the machine's own
Chromium (``executable_path``: Playwright's browser download is never used).

Lesson 01 is opened, a prediction typed into its first prediction cell, the notebook saved,
the kernel restarted and Run All Cells run, then: the prediction is recorded (in the saved
notebook), the address widget answers what is typed into it, a figure is shown and no
cell shows an error. Then the learner's record, as a learner makes it: the reveal of the
(wrong) prediction asks for an explanation, a new cell typed at the end explains it,
asks for both hints of an exercise and its worked answer, and ``loopedu progress
--export`` holds the prediction (with the machine's fingerprint), the reveal, the
explanation, the hints and the worked answer seen. A screenshot is kept in
``$LOOPEDU_ARTIFACTS`` (default ``tests/artifacts/``, git-ignored; the test's own
temporary folder where that one cannot be written, as when another user runs the tests
of the same checkout).

Skipped where Chromium or Playwright is missing; under CI (``CI=true``) it fails instead.
"""

from __future__ import annotations

import json
import os
import queue
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from shared_checks import skip_or_fail

from loopedu.handout import find_chromium

ROOT = Path(__file__).resolve().parents[1]
LESSON = "notebooks/01-loopback-range.ipynb"
PREDICTION_ID = "01.slash8-size"
EXERCISE_ID = "01.loopback-size"  # two hints
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
ERROR_OUTPUTS = (f"{PANEL} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
                 f"{PANEL} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
KERNEL_START_MS = 60_000
RUN_ALL_MS = 120_000  # generous: a 2-core machine running the rest of the suite too


def chromium_or_skip() -> str:
    """The machine's Chromium; skip without it (and without Playwright), fail under CI."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("Playwright is not installed (it is in the test extra: "
                     "`python3 -m loopedu.bootstrap test` installs it)")
    chromium = find_chromium()
    if chromium is None:
        skip_or_fail("no Chromium here (Debian/Ubuntu: apt-get install chromium)")
    return chromium


def artifacts_dir(fallback: Path) -> Path:
    """$LOOPEDU_ARTIFACTS, else tests/artifacts/; ``fallback`` (a folder of this test)
    where that cannot be written, e.g. another user's checkout or folder."""
    folder = Path(os.environ.get("LOOPEDU_ARTIFACTS") or ROOT / "tests" / "artifacts")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return fallback
    return folder if os.access(folder, os.W_OK | os.X_OK) else fallback


class Lab:
    """``loopedu lab`` in a subprocess, its output drained by a thread."""

    def __init__(self, tmp_path: Path):
        self.token = secrets.token_hex(16)
        self.base_url_seen = ""
        self.home = tmp_path / "home"
        self.workspace = tmp_path / "workspace"
        self.progress = tmp_path / "progress"
        self.home.mkdir()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LOOPEDU_", "JUPYTER", "XDG_"))}
        env.update(HOME=str(self.home), LOOPEDU_HOME=str(self.progress),
                   LOOPEDU_WORKSPACE=str(self.workspace))
        loopedu = Path(sys.executable).with_name("loopedu")
        command = [str(loopedu)] if loopedu.exists() else [sys.executable, "-m", "loopedu"]
        self.proc = subprocess.Popen(
            command + ["lab", "--no-browser", "--ServerApp.port=0",
                       f"--ServerApp.token={self.token}"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def base_url(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.log.append(line)
            m = re.search(r"(http://127\.0\.0\.1:\d+)/lab\S*\?token=", line)
            if m:
                self.base_url_seen = m.group(1)
                return m.group(1)
        pytest.fail("`loopedu lab` printed no URL:\n" + "".join(self.log[-40:]))

    def kernel_states(self) -> str:
        """What the server says of its kernels (``/api/kernels``): id and state."""
        import urllib.request

        url = self.base_url_seen + f"/api/kernels?token={self.token}"
        try:
            with urllib.request.urlopen(url, timeout=10) as reply:
                kernels = json.load(reply)
        except OSError as exc:
            return f"nothing ({exc})"
        return ", ".join(f"{k['id'][:8]} {k.get('execution_state')}" for k in kernels) or "none"

    def tail(self, lines: int = 40) -> str:
        """The last lines ``loopedu lab`` printed (shown when the test fails)."""
        while True:
            try:
                self.log.append(self.lines.get_nowait())
            except queue.Empty:
                return "".join(self.log[-lines:])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def wait_until_run(page, timeout_ms: int) -> None:
    """Every code cell has run (a numbered prompt), or the run stopped at an error."""
    page.wait_for_function(
        """(panel) => {
            const p = document.querySelector(panel);
            if (!p) return false;
            const prompts = [...p.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                .map(e => e.textContent);
            if (prompts.some(t => t.includes('*'))) return false;
            if (p.querySelector('[data-mime-type="application/vnd.jupyter.error"],'
                                + '[data-mime-type="application/vnd.jupyter.stderr"]')) return true;
            return prompts.length > 0 && prompts.every(t => /\\[\\d+\\]/.test(t));
        }""", arg=PANEL, timeout=timeout_ms, polling=500)


def open_lesson(page, url: str) -> None:
    """Open the notebook at ``url`` and wait until its kernel is idle."""
    from playwright.sync_api import expect

    page.goto(url)
    page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-CodeCell", timeout=KERNEL_START_MS)
    expect(page.locator(f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']")
           ).to_have_count(1, timeout=KERNEL_START_MS)


def restart_and_run_all(page, lab: Lab | None = None) -> None:
    """Save, Kernel > Restart Kernel, wait until the new kernel is idle, then Run > Run
    All Cells, on the notebook being edited, and wait until every cell has run.

    (The one menu item "Restart Kernel and Run All Cells" sent the cells while the old
    kernel was still shutting down: once, with two test suites loading the machine,
    ipykernel failed on a control message ("_control_lock ... not the NoneType None")
    and the run never finished. Once, too, the page never showed the restarted kernel
    idle: where that happens the page is reloaded, as a learner would, and reconnects
    to the kernel, which the server is asked about; the save keeps what was typed.)"""
    from playwright.sync_api import expect

    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    page.locator(".lm-MenuBar-itemLabel:text-is('Kernel')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Restart Kernel…')").click()
    page.locator(".jp-Dialog button.jp-mod-accept").click()
    indicator = page.locator(f"{PANEL} .jp-Notebook-ExecutionIndicator")
    idle = page.locator(f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']")
    try:  # the old kernel's "idle" first goes away (restarting), unless that was too quick
        expect(idle).to_have_count(0, timeout=5_000)
    except AssertionError:
        pass
    try:
        expect(idle).to_have_count(1, timeout=KERNEL_START_MS)
    except AssertionError:
        shown = indicator.first.get_attribute("data-status") if indicator.count() else None
        server = lab.kernel_states() if lab is not None else "not asked"
        print(f"after the restart the page showed the kernel {shown!r}; the server says "
              f"{server}: reloading the page")
        page.reload()
        page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-CodeCell", timeout=KERNEL_START_MS)
        expect(idle).to_have_count(1, timeout=KERNEL_START_MS)
    page.locator(f"{PANEL} .jp-CodeCell .cm-content").first.click()
    page.keyboard.press("Escape")
    page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()
    wait_until_run(page, RUN_ALL_MS)


def test_screenshots_go_to_a_folder_this_user_can_write(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LOOPEDU_ARTIFACTS", str(blocker / "artifacts"))
    assert artifacts_dir(tmp_path / "own") == tmp_path / "own"
    monkeypatch.setenv("LOOPEDU_ARTIFACTS", str(tmp_path / "shots"))
    assert artifacts_dir(tmp_path / "own") == tmp_path / "shots"


@pytest.mark.slow
def test_lesson_01_in_a_real_browser(tmp_path):
    chromium = chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    lab = Lab(tmp_path)
    screenshot = artifacts_dir(tmp_path) / "browser-e2e-01-loopback-range.png"
    try:
        base = lab.base_url()
        saved = lab.workspace / LESSON
        assert saved.is_file(), f"`loopedu lab` wrote no {LESSON} into the workspace"
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                      "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--no-first-run"])
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(60_000)
                try:
                    open_lesson(page, f"{base}/lab/tree/{LESSON}?token={lab.token}")

                    # 1. a prediction, typed into the first prediction cell
                    cell = page.locator(f"{PANEL} .jp-CodeCell").filter(
                        has_text=f'predict("{PREDICTION_ID}"').first
                    editor = cell.locator(".cm-content")
                    editor.click()
                    page.keyboard.press("Control+a")
                    # the cell also imports what the lesson uses: keep that line
                    page.keyboard.insert_text(
                        "from loopedu.exercises import explain, predict, reveal, within\n"
                        f'prediction = 256\npredict("{PREDICTION_ID}", prediction)')
                    expect(editor).to_contain_text("prediction = 256")

                    # 2. run the lesson as a learner would
                    restart_and_run_all(page, lab)

                    # 3. no cell shows an error
                    errors = page.locator(ERROR_OUTPUTS)
                    assert errors.count() == 0, "a cell shows an error:\n" + "\n---\n".join(
                        errors.all_inner_texts())
                    assert page.locator(f"{PANEL} .jp-RenderedText",
                                        has_text="Traceback").count() == 0

                    # 4. a figure (the ipv4_map) is shown
                    expect(page.locator(f"{PANEL} .jp-OutputArea-output img").first
                           ).to_be_visible()

                    # 5. the widget answers
                    box = page.locator(f"{PANEL} .jupyter-widgets input[type=text]").first
                    box.fill("::ffff:127.0.0.1")
                    expect(page.locator(f"{PANEL} .jupyter-widgets pre").first
                           ).to_contain_text("Loopback: yes", timeout=30_000)

                    # 6. the prediction was recorded: in the notebook as saved
                    page.locator(".lm-MenuBar-itemLabel:text-is('File')").click()
                    page.locator(".lm-Menu-itemLabel:text-is('Save Notebook')").click()
                    recorded = f"Recorded your prediction for {PREDICTION_ID}: 256"
                    deadline = time.monotonic() + 30
                    while recorded not in outputs_text(saved) and time.monotonic() < deadline:
                        time.sleep(0.5)
                    assert recorded in outputs_text(saved)
                    assert "No prediction recorded" not in first_prediction_output(saved)

                    # 7. the ledger: the surprise asks for an explanation, and the
                    # learner explains it, takes the hints and the worked answer
                    expect(page.locator(f"{PANEL} .jp-OutputArea-output",
                                        has_text=f"explain('{PREDICTION_ID}'")).to_have_count(1)
                    record_explanation_hints_and_solution(page)
                    exported = export_progress(lab, tmp_path)
                    check_ledger(exported)
                finally:  # kept on failure too; a failed screenshot must not hide why
                    try:
                        page.screenshot(path=str(screenshot))
                        print(f"screenshot: {screenshot}")
                    except Exception as exc:  # noqa: BLE001
                        print(f"no screenshot: {exc}")
            finally:
                browser.close()
    finally:
        print("`loopedu lab` said, last lines:\n" + lab.tail())
        lab.stop()


#: What the learner types into a new cell at the end of the lesson.
LEDGER_CELL = (
    "from loopedu.exercises import explain, hint, solution\n"
    f'print(explain("{PREDICTION_ID}", "I counted the /8 blocks, not the addresses"))\n'
    f'print(hint("{EXERCISE_ID}"))\n'
    f'print(hint("{EXERCISE_ID}"))\n'
    f'print(solution("{EXERCISE_ID}"))')


def record_explanation_hints_and_solution(page) -> None:
    """A new cell below the last one (select it, Escape, b, Enter), typed and run."""
    from playwright.sync_api import expect

    page.locator(f"{PANEL} .jp-Cell").last.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(LEDGER_CELL)
    page.keyboard.press("Shift+Enter")
    out = page.locator(f"{PANEL} .jp-OutputArea-output",
                       has_text=f"Worked answer for {EXERCISE_ID}")
    expect(out).to_have_count(1, timeout=60_000)
    text = out.inner_text()
    assert f"Recorded your explanation for {PREDICTION_ID}" in text
    assert "The course's explanation:" in text and "Hint 2 of 2" in text


def export_progress(lab: "Lab", tmp_path: Path) -> dict:
    """``loopedu progress --export`` in the learner's environment, read back."""
    out = tmp_path / "export.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOOPEDU_", "XDG_"))}
    env.update(HOME=str(lab.home), LOOPEDU_HOME=str(lab.progress))
    done = subprocess.run([sys.executable, "-m", "loopedu.cli", "progress", "--export", str(out),
                           "--learner", "browser"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def check_ledger(data: dict) -> None:
    """The export holds what the learner did in the browser."""
    predictions = {row["id"]: row for row in data["predictions"]}
    assert predictions[PREDICTION_ID]["value"] == 256
    assert {"platform", "root", "localhost"} <= set(predictions[PREDICTION_ID]["machine"])
    reveals = {row["id"]: row for row in data["reveals"]}
    assert reveals[PREDICTION_ID]["verdict"] == "surprise"
    assert reveals[PREDICTION_ID]["source"] == "this machine"
    # Run All also ran the lesson's other explain cells, left at ``...``: skips
    # (text None) are recorded as skips, and only the learner's words as text
    assert [(r["id"], r["text"]) for r in data["explanations"] if r["text"]] == [
        (PREDICTION_ID, "I counted the /8 blocks, not the addresses")]
    assert all(r["text"] is None for r in data["explanations"]
               if r["id"] != PREDICTION_ID)
    hints = {row["id"]: [h["n"] for h in row["shown"]] for row in data["hints"]}
    assert hints == {EXERCISE_ID: [1, 2]}
    assert [row["id"] for row in data["solutions"]] == [EXERCISE_ID]


def _cell_outputs(cell: dict) -> str:
    out = []
    for o in cell.get("outputs", []):
        t = o.get("text") or o.get("data", {}).get("text/plain") or ""
        out.append(t if isinstance(t, str) else "".join(t))
    return "\n".join(out)


def outputs_text(path: Path) -> str:
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError):  # caught mid-save
        return ""
    return "\n".join(_cell_outputs(c) for c in nb["cells"])


def first_prediction_output(path: Path) -> str:
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"]
                if f'predict("{PREDICTION_ID}"' in "".join(c["source"]))
    return _cell_outputs(cell)
