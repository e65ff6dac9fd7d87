"""Where the course's own files are: the lessons (``notebooks/``), the exercises, the
glossary, the claims page and the instructor guide.

Two places hold them:

- a checkout of the course (a git clone, or a zip of it): ``notebooks/``,
  ``exercises/`` and ``instructors/`` beside the ``loopedu/`` package;
- an installed wheel (``pip install loopedu``): the same files inside the package, in
  ``loopedu/_course/``, copied there when the wheel was built (the repository's
  ``setup.py``). The package reads them and never writes there.

A checkout wins: an instructor who edits a lesson sees the edit.

Introduced in notebooks/00-start-here.ipynb.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CourseNotFound", "course_root", "packaged_course", "is_checkout"]

#: The file that marks a folder as the course: the first lesson.
_MARK = Path("notebooks") / "00-start-here.ipynb"


class CourseNotFound(LookupError):
    """No copy of the course is here; the message says what to do."""


def packaged_course() -> Path:
    """The copy of the course an installed wheel carries (it may not exist: a checkout
    or an editable install has none).

    Introduced in notebooks/00-start-here.ipynb.
    """
    return Path(__file__).resolve().parent / "_course"


def is_checkout(folder: Path) -> bool:
    """Whether ``folder`` is a checkout of the course (its lessons beside ``loopedu/``).

    Introduced in notebooks/00-start-here.ipynb.
    """
    return (folder / _MARK).is_file() and (folder / "loopedu").is_dir()


def course_root(start: Path | None = None) -> Path:
    """The folder holding the course's ``notebooks/``: the checkout this package was
    installed from (an editable install), else the current folder (``start``) or one of
    its parents if it is a checkout, else the copy an installed wheel carries.

    >>> (course_root() / "notebooks" / "00-start-here.ipynb").is_file()
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (Path(__file__).resolve().parent.parent, here, *here.parents):
        if is_checkout(folder):
            return folder
    packaged = packaged_course()
    if (packaged / _MARK).is_file():
        return packaged
    raise CourseNotFound("cannot find the course's lessons: this loopedu was installed "
                         "without them. Install the course with `pip install loopedu` "
                         "(a wheel carries the lessons), or run this from the folder you "
                         "cloned the course into")
