"""The wheel carries the course itself: while the wheel is built, the lessons, exercises,
glossary, claims page and instructor guide are copied into the package as
``loopedu/_course/`` (everything else is in pyproject.toml). A clone or an editable
install reads them from the checkout instead (loopedu.course.course_root)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: What a learner's course needs, by folder: the notebooks (not their jupytext ``.py``
#: sources), the glossary and other pages, and the instructor guide.
COURSE = {"notebooks": ("*.ipynb", "*.md", "*.svg", "*.png"),
          "exercises": ("*.ipynb",),
          "instructors": ("*.md",)}


def course_files(root: Path):
    """(path in the checkout, path inside loopedu/_course) for every course file."""
    for folder, patterns in COURSE.items():
        for pattern in patterns:
            for path in sorted((root / folder).glob(pattern)):
                if path.is_file() and not path.name.startswith("."):
                    yield path, Path(folder) / path.name


class BuildWithCourse(build_py):
    """build_py, plus the course files copied into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout itself
        target = Path(self.build_lib, "loopedu", "_course")
        for source, name in course_files(HERE):
            self.mkpath(str((target / name).parent))
            self.copy_file(str(source), str(target / name))


setup(cmdclass={"build_py": BuildWithCourse})
