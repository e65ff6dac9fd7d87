"""Reading a hosts file the way glibc's files backend does.

Introduced in notebooks/02-localhost-is-a-name.ipynb; :mod:`loopedu.hosts` explains
what the model does and is the place to start.

Models, from glibc 2.36: reading lines (``__nss_readline`` in ``nss/nss_readline.c``),
splitting them (``LINE_PARSER``, ``STRING_FIELD`` and ``parse_list`` in
``nss/nss_files/files-parse.c``) and the hosts ``LINE_PARSER`` of
``nss/nss_files/files-hosts.c`` (what each family makes of a line's address).

:func:`parse` does its work on the whole text where it can (lower-casing, cutting
comments, finding the few lines that need a closer look) and keeps one short loop per
line, so a 200,000-line ad-blocking file parses in a fraction of a second.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from typing import Iterator, Optional, Union

from .ctext import CSPACE
from .files import AF_UNSPEC, Match, Name, check_family, files_lookup, query_bytes, resolve
from .inet import AF_INET, AF_INET6, LOOPBACK4, LOOPBACK6, V4MAPPED_PREFIX, pton4, pton6
from .linescan import lines_to_check, odd_lines, split_lines
from .machine import Machine
from .problems import Problem, bad_address, line_notes, odd_line

__all__ = ["parse", "load", "HostsFile", "Entry"]

_COMMENT = re.compile(rb"#[^\n]*")  # LINE_PARSER ends a line at its first '#'


@dataclass(frozen=True)
class Entry:
    """One line glibc uses: its address and the names that find it.

    ``names`` is ``("",)`` for a line with only an address (glibc gives it an empty
    name, which only the query ``""`` matches).

    >>> parse("127.0.0.1 localhost lh\\n").entries[0].names
    ('localhost', 'lh')

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    line: int
    address: str
    names: tuple


def address_forms(field: bytes) -> Optional[tuple]:
    """(unspec family, unspec packed, AF_INET packed or None, AF_INET6 packed or None).

    files-hosts.c LINE_PARSER: AF_UNSPEC takes inet_pton(AF_INET) first, else
    inet_pton(AF_INET6). AF_INET also takes IPv6 text when it is v4-mapped (the IPv4
    part) or ::1 (127.0.0.1). AF_INET6 takes only IPv6 text (no mapping: the flags are 0).
    None: the line is ignored for every family.

    >>> address_forms(b"::1")[2] == bytes([127, 0, 0, 1])
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    v4 = pton4(field)
    if v4 is not None:
        return AF_INET, v4, v4, None
    v6 = pton6(field)
    if v6 is None:
        return None
    if v6[:12] == V4MAPPED_PREFIX:
        as_v4 = v6[12:]
    elif v6 == LOOPBACK6:
        as_v4 = LOOPBACK4
    else:
        as_v4 = None
    return AF_INET6, v6, as_v4, v6


def readline_view(raw: bytes, has_newline: bool) -> Optional[bytes]:
    """What glibc's parser sees of one physical line; None if __nss_readline skips it.

    __nss_readline strips leading whitespace with memmove(buf, p, strlen(p)), which does
    not move the terminating NUL: when the text has no newline after it (last line
    without one, or a NUL byte earlier in the line) the old tail stays visible.
    LINE_PARSER then cuts the line at the first '#' or newline.

    >>> readline_view(b"  10.0.0.1 ab", has_newline=False)  # the name ab becomes abab
    b'10.0.0.1 abab'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    buf = raw + b"\n" if has_newline else raw
    s0 = buf.split(b"\0", 1)[0]
    rest = s0.lstrip(CSPACE)
    if not rest or rest[:1] == b"#":
        return None
    if len(rest) != len(s0):
        rest = rest + s0[len(rest):]
    for stop in (b"#", b"\n"):
        cut = rest.find(stop)
        if cut >= 0:
            rest = rest[:cut]
    return rest


class HostsFile:
    """A parsed hosts file: answers lookups like glibc's files backend plus getaddrinfo.

    Build it with :func:`parse`. Lookups are dictionary look-ups (constant time in the
    size of the file); only a name with two or more answers reads host.conf and, to sort
    them, probes this machine.

    >>> hf = parse("127.0.0.1 localhost\\n::1 localhost\\n")
    >>> hf.lookup("localhost", socket.AF_INET)
    ['127.0.0.1', '127.0.0.1']

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    def __init__(self, data: bytes, count: int, last_has_newline: bool, index: dict,
                 forms_by_line: list, problems: list):
        self._data = data
        self._count = count  # lines in the file
        self._last_has_newline = last_has_newline
        self._lines: Optional[list] = None  # the raw lines, split when first needed
        self._index = index  # lower-cased name -> line number, or list of them
        self._forms = forms_by_line  # line number -> address_forms(...), None if unused
        self.problems: list[Problem] = problems

    def __repr__(self) -> str:
        return (f"<HostsFile: {len(self)} entries, {len(self._index)} names, "
                f"{len(self.problems)} problems>")

    def __len__(self) -> int:
        return len(self._forms) - self._forms.count(None)

    # -- what the file holds ----------------------------------------------------------
    @property
    def entries(self) -> list[Entry]:
        """Every line glibc uses, in file order.

        >>> [e.address for e in parse("::1 a\\nbad b\\n10.0.0.1 c\\n").entries]
        ['::1', '10.0.0.1']

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        out = []
        for lineno, forms in enumerate(self._forms):
            if forms is None:
                continue
            fields = (self._view(lineno) or b"").split()
            names = tuple(n.decode("utf-8", "surrogateescape") for n in fields[1:]) or ("",)
            out.append(Entry(lineno, socket.inet_ntop(forms[0], forms[1]), names))
        return out

    def names(self) -> Iterator[str]:
        """The distinct names (lower-cased, as glibc compares them) that find an entry.

        >>> sorted(parse("127.0.0.1 LocalHost lh\\n").names())
        ['lh', 'localhost']

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        for key in self._index:
            yield key.decode("utf-8", "surrogateescape")

    def _view(self, lineno: int) -> Optional[bytes]:
        if self._lines is None:
            self._lines = split_lines(self._data, self._count)
        last = lineno == self._count
        return readline_view(self._lines[lineno - 1], not last or self._last_has_newline)

    # -- queries ----------------------------------------------------------------------
    def matches(self, name: Name, family: int = AF_UNSPEC, *,
                machine: Optional[Machine] = None) -> list[Match]:
        """The lines that answer, in file order, before getaddrinfo sorts them.

        >>> hf = parse("127.0.0.1 localhost\\n::1 localhost\\n")
        >>> [(m.line, m.address) for m in hf.matches("localhost")]
        [(1, '127.0.0.1'), (2, '::1')]

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        check_family(family)
        found, _ = files_lookup(self._index, self._forms, query_bytes(name), family, machine)
        return [Match(line, socket.inet_ntop(fam, packed)) for line, fam, packed in found]

    def lookup(self, name: Name, family: int = AF_UNSPEC, *,
               machine: Optional[Machine] = None) -> list[str]:
        """Addresses glibc's getaddrinfo(name, None, family, SOCK_STREAM) returns.

        ``name`` as str is encoded like ``socket.getaddrinfo`` does (the ``idna`` codec,
        which can raise UnicodeError); bytes are used as they are. ``machine`` fixes the
        configuration and remembers probes; by default this machine is read afresh.

        >>> parse("127.0.0.1 localhost\\n").lookup("LOCALHOST")
        ['127.0.0.1']
        >>> parse("127.0.0.1 localhost\\n").lookup("localhost.")
        []

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        answers = resolve(self._index, self._forms, name, family, machine)
        return [socket.inet_ntop(fam, packed) for fam, packed in answers]


# ----------------------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------------------


def parse(text: Union[str, bytes, bytearray]) -> HostsFile:
    """Parse hosts-file text (str or bytes) with glibc's rules; never raises on content.

    Lines glibc skips, and lines it reads differently from how they look, are listed in
    ``problems`` with their line numbers.

    >>> hf = parse(b"127.0.0.1 localhost # me\\n127.1 short\\n")
    >>> hf.lookup("localhost"), [(p.line, p.skipped) for p in hf.problems]
    (['127.0.0.1'], [(2, True)])

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    data = _as_bytes(text)
    last_has_newline = data.endswith(b"\n") or not data
    # What the parser sees of each line, lower-cased for the index: glibc compares names
    # with strcasecmp (ASCII only, as in the C and UTF-8 locales) and inet_pton does not
    # care about the case of hex digits. A line ends at its first '#'.
    seen = data.lower()
    if b"#" in seen:
        seen = _COMMENT.sub(b"", seen)
    views = seen.split(b"\n")
    if last_has_newline:
        views.pop()  # the empty string after the final newline is not a line
    lines, odd_views, problems = _read_odd_lines(data, views, last_has_newline)
    to_check = lines_to_check(data, seen, views)
    del seen  # (the peak memory of a parse is while the index is built)
    index, forms_by_line, bad, no_name = _index_lines(views)
    to_check.update(odd_views, no_name)
    problems += _line_problems(data, lines, odd_views, forms_by_line, bad, to_check)
    problems.sort(key=_line_of)  # stable: a line's own problems keep their order
    return HostsFile(data, len(views), last_has_newline, index, forms_by_line, problems)


def _read_odd_lines(data: bytes, views: list, last_has_newline: bool) -> tuple:
    """Read the lines with a NUL byte or the readline tail (see :func:`readline_view`)
    and put what glibc sees of them in ``views``: (the raw lines as far as the last of
    them, {line number: view}, their problems)."""
    count = len(views)
    odd = odd_lines(data, count, last_has_newline)
    lines = split_lines(data, odd[-1]) if odd else []
    odd_views, problems = {}, []
    for lineno in odd:
        raw = lines[lineno - 1]
        view = odd_views[lineno] = readline_view(raw, lineno != count or last_has_newline)
        problem = odd_line(lineno, raw, view)
        if problem is not None:
            problems.append(problem)
        views[lineno - 1] = b"" if view is None else view.lower()
    return lines, odd_views, problems


def _line_problems(data: bytes, lines: list, odd_views: dict, forms_by_line: list,
                   bad: list, to_check: set) -> list:
    """Problems of the lines with a bad address and the notes of the lines in
    ``to_check`` that glibc uses; ``lines`` is split further when they need it."""
    to_check = sorted(k for k in to_check if forms_by_line[k] is not None)
    needed = max(bad[-1:] + to_check[-1:], default=0)
    if needed > len(lines):
        lines = split_lines(data, needed)

    def glibc_line(lineno: int) -> bytes:
        if lineno in odd_views:
            return odd_views[lineno]
        return lines[lineno - 1].split(b"#", 1)[0]

    problems = [bad_address(k, lines[k - 1], glibc_line(k)) for k in bad]
    for lineno in to_check:
        problems += line_notes(lineno, lines[lineno - 1], glibc_line(lineno))
    return problems


def _index_lines(views: list) -> tuple:
    """The hosts LINE_PARSER over every line: (index, forms by line number, line numbers
    with a bad address, line numbers with no name).

    ``views`` are the lines as the parser sees them, lower-cased. This is the one loop
    over every line, so it does as little as it can.
    """
    index: dict = {}
    forms_by_line: list = [None] * (len(views) + 1)
    bad, no_name = [], []
    cache: dict = {}  # address text -> address_forms(...), or () when glibc skips it
    setdefault, get = index.setdefault, cache.get
    for lineno, view in enumerate(views, 1):
        fields = view.split()
        if len(fields) == 2:  # the common case: one name, and an address seen before
            address, name = fields
            forms = get(address)
            if forms:
                forms_by_line[lineno] = forms
                if setdefault(name, lineno) is not lineno:
                    _index_again(index, name, lineno)
                continue
        if not fields:
            continue
        forms = get(fields[0])
        if forms is None:
            forms = cache[fields[0]] = address_forms(fields[0]) or ()
        if not forms:
            bad.append(lineno)
            continue
        forms_by_line[lineno] = forms
        del fields[0]
        if not fields:  # only an address: glibc gives the line an empty name
            no_name.append(lineno)
            fields.append(b"")
        for name in fields:
            if setdefault(name, lineno) is not lineno:
                _index_again(index, name, lineno)
    return index, forms_by_line, bad, no_name


def load(path: Union[str, os.PathLike] = "/etc/hosts") -> HostsFile:
    """Parse a hosts file from disk (default: this machine's /etc/hosts).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    with open(path, "rb") as f:
        return parse(f.read())


def _line_of(problem: Problem) -> int:
    return problem.line


def _as_bytes(text: Union[str, bytes, bytearray]) -> bytes:
    if isinstance(text, str):
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return text.encode("utf-8", "surrogatepass")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"text must be str or bytes, not {type(text).__name__}")


def _index_again(index: dict, name: bytes, lineno: int) -> None:
    """Add line ``lineno`` under a name that already finds other lines."""
    current = index[name]
    if current.__class__ is int:
        if current != lineno:  # a name repeated within one line counts once
            index[name] = [current, lineno]
    elif current[-1] != lineno:
        current.append(lineno)
