"""Read a hosts file the way glibc does and answer the way getaddrinfo does.

Introduced in notebooks/02-localhost-is-a-name.ipynb.

:func:`parse` takes the text of a hosts file (str or bytes) and returns a
:class:`HostsFile`. ``HostsFile.lookup(name, family)`` returns the address strings that
glibc's ``getaddrinfo(name, NULL, {family, SOCK_STREAM})`` returns on the machine it runs
on when that text is /etc/hosts and nsswitch.conf says ``hosts: files``: the same
addresses in the same order, duplicates included, ``[]`` where glibc finds nothing.

The rules come from glibc 2.36's source (the file and function are named where each rule
is applied below):

- reading lines: ``nss/nss_readline.c`` (``__nss_readline``), ``nss/nss_files/files-parse.c``
  (``LINE_PARSER``, ``STRING_FIELD``, ``parse_list``), ``nss/nss_files/files-hosts.c``
  (the hosts ``LINE_PARSER``);
- which lines answer which family: ``files-hosts.c`` (``_nss_files_gethostbyname3_r``
  for AF_INET and AF_INET6, ``_nss_files_gethostbyname4_r`` for AF_UNSPEC,
  ``gethostbyname3_multi``) and ``sysdeps/posix/getaddrinfo.c`` (``get_nss_addresses``,
  ``try_simple_gethostbyname``, ``text_to_binary_address``), ``nss/digits_dots.c``;
- the order: :mod:`loopedu.gai` (``rfc3484_sort``), which probes this machine.

What that adds up to, in short: an address must pass ``inet_pton`` (no ``127.1``, no
``fe80::1%lo``); ``#`` ends a line anywhere; names match case-insensitively and exactly
(``localhost.`` is another name); every matching line answers when host.conf says
``multi on`` (Debian's default; glibc's own default is off), otherwise the first;
AF_INET queries also get ``::1`` lines (as 127.0.0.1) and ``::ffff:a.b.c.d`` lines;
AF_INET6 queries get only IPv6 lines; nothing is de-duplicated; and ``localhost`` is not
special: with ``hosts: files`` a file without it does not resolve it. Case folding is
ASCII, as in the C and UTF-8 locales (a Turkish or Latin-1 locale folds differently).

Importing this module only imports.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from typing import Iterator, Optional, Union

from loopedu import gai

__all__ = ["parse", "load", "HostsFile", "Entry", "Problem", "Match"]

AF_UNSPEC = socket.AF_UNSPEC
AF_INET = socket.AF_INET
AF_INET6 = socket.AF_INET6
_FAMILIES = (AF_UNSPEC, AF_INET, AF_INET6)

_WS = b" \t\n\v\f\r"  # isspace() in the C and UTF-8 locales; also bytes.split()'s set
_LONG_LINE = 64 * 1024
_LOOPBACK4 = b"\x7f\0\0\x01"
# a name Python's "idna" codec refuses: an empty label before the last, or a 64+ label
_IDNA_REFUSED = re.compile(rb"^\.|\.\.|[^.]{64}")

Name = Union[str, bytes, bytearray, None]


@dataclass(frozen=True)
class Problem:
    """A line glibc skips, or reads differently from how it looks.

    ``skipped`` is True when glibc ignores the whole line for every lookup; otherwise
    the line is read and ``reason`` says what is surprising about it. ``kind`` is a short
    code: ``bad-address``, ``nul-byte``, ``readline-tail``, ``no-name``, ``unreachable``
    (every name is numeric, so getaddrinfo never reads the file for it),
    ``numeric-name``, ``ipv4-never-asks``, ``long-line``, ``not-utf8``, ``non-ascii``,
    ``idna-refused``.

    >>> p = parse("127.1 short\\n").problems[0]
    >>> p.kind, p.skipped
    ('bad-address', True)

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    line: int
    kind: str
    reason: str
    skipped: bool
    text: str


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


@dataclass(frozen=True)
class Match:
    """A hosts line that answers a query, before getaddrinfo sorts the answers.

    ``address`` is in the form the query family gets (``::1`` answers AF_INET as
    127.0.0.1).

    >>> parse("::1 localhost\\n").matches("localhost", socket.AF_INET)[0].address
    '127.0.0.1'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    line: int
    address: str


# ----------------------------------------------------------------------------------------
# Addresses: what each family's lookup makes of a hosts-line address (files-hosts.c)
# ----------------------------------------------------------------------------------------


def _address_forms(field: bytes) -> Optional[tuple]:
    """(unspec family, unspec packed, AF_INET packed or None, AF_INET6 packed or None).

    files-hosts.c LINE_PARSER: AF_UNSPEC takes inet_pton(AF_INET) first, else
    inet_pton(AF_INET6). AF_INET also takes IPv6 text when it is v4-mapped (the IPv4
    part) or ::1 (127.0.0.1). AF_INET6 takes only IPv6 text (no mapping: the flags are 0).
    None: the line is ignored for every family.
    """
    v4 = gai.inet_pton(AF_INET, field)
    if v4 is not None:
        return AF_INET, v4, v4, None
    v6 = gai.inet_pton(AF_INET6, field)
    if v6 is None:
        return None
    if v6[:12] == gai._V4MAPPED_PREFIX:
        as_v4 = v6[12:]
    elif v6 == gai._LOOPBACK6:
        as_v4 = _LOOPBACK4
    else:
        as_v4 = None
    return AF_INET6, v6, as_v4, v6


def _show(raw: bytes, limit: int = 120) -> str:
    text = raw.decode("utf-8", "backslashreplace").replace("\0", "\\x00")
    return text if len(text) <= limit else text[:limit] + "..."


def _bad_address_reason(field: bytes) -> str:
    shown = _show(field, 60)
    if b"%" in field and gai.inet_pton(AF_INET6, field.split(b"%", 1)[0]):
        why = "a scope ID (%name) is not accepted in hosts files"
    elif gai.inet_aton_exact(field) is not None:
        why = "IPv4 shorthand like 127.1 or 0x7f.0.0.1 is accepted in queries, not in hosts files"
    elif re.fullmatch(rb"[0-9.]+", field):
        why = "not four decimal parts 0-255 without leading zeros"
    elif re.fullmatch(rb"[0-9A-Fa-f:.]+", field):
        why = "not valid IPv6 text"
    else:
        why = "the line does not start with an address"
    return f"bad address {shown!r}: {why}; glibc skips the line"


def _readline_view(raw: bytes, has_newline: bool) -> Optional[bytes]:
    """What glibc's parser sees of one physical line; None if __nss_readline skips it.

    __nss_readline strips leading whitespace with memmove(buf, p, strlen(p)), which does
    not move the terminating NUL: when the text has no newline after it (last line
    without one, or a NUL byte earlier in the line) the old tail stays visible.
    LINE_PARSER then cuts the line at the first '#' or newline.
    """
    buf = raw + b"\n" if has_newline else raw
    s0 = buf.split(b"\0", 1)[0]
    rest = s0.lstrip(_WS)
    if not rest or rest[:1] == b"#":
        return None
    if len(rest) != len(s0):
        rest = rest + s0[len(rest):]
    for stop in (b"#", b"\n"):
        cut = rest.find(stop)
        if cut >= 0:
            rest = rest[:cut]
    return rest


# ----------------------------------------------------------------------------------------
# The parsed file
# ----------------------------------------------------------------------------------------


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

    def __init__(self, lines: list, last_has_newline: bool, index: dict, forms_by_line: list,
                 problems: list):
        self._lines = lines
        self._last_has_newline = last_has_newline
        self._index = index  # lower-cased name -> line number, or list of them
        self._forms = forms_by_line  # line number -> _address_forms(...), None if unused
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
            view = self._view(lineno) or b""
            fields = view.split()
            names = tuple(n.decode("utf-8", "surrogateescape") for n in fields[1:]) or ("",)
            out.append(Entry(lineno, gai._ntop(forms[0], forms[1]), names))
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
        last = lineno == len(self._lines)
        return _readline_view(self._lines[lineno - 1], not last or self._last_has_newline)

    # -- queries ----------------------------------------------------------------------
    def matches(self, name: Name, family: int = AF_UNSPEC, *,
                machine: Optional[gai.Machine] = None) -> list[Match]:
        """The lines that answer, in file order, before getaddrinfo sorts them.

        >>> hf = parse("127.0.0.1 localhost\\n::1 localhost\\n")
        >>> [(m.line, m.address) for m in hf.matches("localhost")]
        [(1, '127.0.0.1'), (2, '::1')]

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        if family not in _FAMILIES:
            raise ValueError(f"family must be AF_UNSPEC, AF_INET or AF_INET6, not {family!r}")
        found, _ = self._files_lookup(_query_bytes(name), family, machine)
        return [Match(line, gai._ntop(fam, packed)) for line, fam, packed in found]

    def lookup(self, name: Name, family: int = AF_UNSPEC, *,
               machine: Optional[gai.Machine] = None) -> list[str]:
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
        return [gai._ntop(fam, packed) for fam, packed in self._resolve(name, family, machine)]

    def _resolve(self, name: Name, family: int, machine: Optional[gai.Machine]) -> list:
        if family not in _FAMILIES:
            raise ValueError(f"family must be AF_UNSPEC, AF_INET or AF_INET6, not {family!r}")
        key = _query_bytes(name)
        if key is None or key == b"*":
            return []  # getaddrinfo(NULL, NULL): EAI_NONAME
        numeric = _numeric_host(key, family)
        if numeric is not None:
            return numeric
        found, machine = self._files_lookup(key, family, machine)
        if not found:
            return []
        answers = [(fam, packed) for _, fam, packed in found]
        if len(answers) < 2:
            return answers
        machine = machine if machine is not None else gai.Machine()
        if family == AF_INET and machine.host_conf.reorder:
            answers = [(AF_INET, a) for a in gai.reorder_ipv4([a for _, a in answers], machine)]
        return gai.sort_addresses(answers, machine)

    def _files_lookup(self, key: Optional[bytes], family: int, machine: Optional[gai.Machine]
                      ) -> tuple:
        """([(line, family, packed)] of the hosts lines that answer, in file order, and
        the Machine if one had to be made to read host.conf)."""
        if key is None or (family == AF_INET and _digits_dots_refuses(key)):
            return [], machine
        ids = self._index.get(key.lower())
        if ids is None:
            return [], machine
        if ids.__class__ is int:
            ids = (ids,)
        multi = True
        if len(ids) > 1:
            machine = machine if machine is not None else gai.Machine()
            multi = machine.host_conf.multi
        slot = {AF_INET: 2, AF_INET6: 3}.get(family)
        found = []
        for lineno in ids:
            forms = self._forms[lineno]
            if slot is None:
                fam, packed = forms[0], forms[1]
            else:
                fam, packed = family, forms[slot]
                if packed is None:  # the line does not parse for this family: skipped
                    continue
            found.append((lineno, fam, packed))
            if not multi:  # without host.conf "multi on" the first matching line wins
                break
        return found, machine


def _query_bytes(name: Name) -> Optional[bytes]:
    """The C string socket.getaddrinfo hands to glibc for ``name``."""
    if name is None:
        return None
    if isinstance(name, str):
        if name.isascii() and not _IDNA_REFUSED.search(name.encode()):
            key = name.encode()  # the idna codec's result for ASCII it accepts
        else:
            key = name.encode("idna")  # what socket.getaddrinfo does with str hosts
    elif isinstance(name, (bytes, bytearray)):
        key = bytes(name)
    else:
        raise TypeError(f"name must be str, bytes or None, not {type(name).__name__}")
    return key.split(b"\0", 1)[0]  # the C string ends at the first NUL


def _numeric_host(key: bytes, family: int) -> Optional[list]:
    """getaddrinfo's text_to_binary_address: None when ``key`` is not an address."""
    v4 = gai.inet_aton_exact(key) if key[:1].isdigit() else None
    if v4 is not None:
        return [(AF_INET, v4)] if family in (AF_UNSPEC, AF_INET) else []
    head, percent, scope = key.partition(b"%")
    v6 = gai.inet_pton(AF_INET6, head) if b":" in head else None
    if v6 is None:
        return None
    if family == AF_INET:
        if v6[:12] != gai._V4MAPPED_PREFIX:
            return []  # EAI_ADDRFAMILY
        answer = (AF_INET, v6[12:])
        scoped = v6[12:16] + v6[4:]  # glibc copies addr[3] over addr[0] in place
    else:
        answer = (AF_INET6, v6)
        scoped = v6
    if percent and not _scope_id_ok(scoped, scope):
        return []  # EAI_NONAME
    return [answer]


def _scope_id_ok(addr16: bytes, scope: bytes) -> bool:
    """inet/inet6_scopeid_pton.c: an interface name (link-local only) or a number."""
    multicast_local = addr16[0] == 0xFF and (addr16[1] & 0xF) in (1, 2)
    if gai._is_linklocal6(addr16) or multicast_local:
        if gai.Machine.if_nametoindex(scope):
            return True
    return scope.isdigit() and gai._c_number(scope, 10) <= 0xFFFFFFFF


def _digits_dots_refuses(key: bytes) -> bool:
    """nss/digits_dots.c as used by gethostbyname2_r (the AF_INET path): names that
    look numeric never reach /etc/hosts."""
    if not key:
        return False
    first = key[:1]
    if not (first.isdigit() or first in b"0123456789abcdefABCDEF:"):
        return False
    if first.isdigit() and key.strip(b"0123456789.") == b"" and key[-1:] != b".":
        return True  # all digits and dots: inet_aton failed, so "not found"
    return (first in b"0123456789abcdefABCDEF" and b":" in key) or first == b":"


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
    if isinstance(text, str):
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "surrogatepass")
    elif isinstance(text, (bytes, bytearray, memoryview)):
        data = bytes(text)
    else:
        raise TypeError(f"text must be str or bytes, not {type(text).__name__}")

    lines = data.split(b"\n")
    last_has_newline = data.endswith(b"\n") or not data
    if last_has_newline:
        lines.pop()  # the empty string after the final newline is not a line
    last_lineno = len(lines)
    # Lines that need more than split(): found with C-speed scans of the whole text.
    odd_lines = _odd_lines(data, lines, last_has_newline)
    special = odd_lines | _special_lines(data)

    index: dict = {}
    forms_by_line: list = [None] * (last_lineno + 1)
    problems: list = []
    cache: dict = {}
    setdefault = index.setdefault

    for lineno, raw in enumerate(lines, 1):
        line = raw
        if lineno in special:
            if lineno in odd_lines:
                line = _readline_view(raw, lineno != last_lineno or last_has_newline)
                _report_odd_line(problems, lineno, raw, line)
                if line is None:
                    continue
            else:
                line = raw.split(b"#", 1)[0]
        # glibc compares names with strcasecmp: index them lower-cased (ASCII only, as
        # in the C and UTF-8 locales); inet_pton does not care about the case of hex.
        fields = line.lower().split()
        if not fields:
            continue
        forms = cache.get(fields[0])
        if forms is None:
            forms = cache[fields[0]] = _address_forms(fields[0]) or ()
        if not forms:
            problems.append(Problem(lineno, "bad-address", _bad_address_reason(line.split()[0]),
                                    True, _show(raw)))
            continue
        forms_by_line[lineno] = forms
        if len(fields) == 2:  # the common case: one name
            if setdefault(fields[1], lineno) is not lineno:
                _index_again(index, fields[1], lineno)
        else:
            for name in fields[1:] or (b"",):
                if setdefault(name, lineno) is not lineno:
                    _index_again(index, name, lineno)
        if lineno in special or len(raw) > 70 or len(fields) == 1:
            problems.extend(_line_notes(lineno, raw, line))

    return HostsFile(lines, last_has_newline, index, forms_by_line, problems)


def _index_again(index: dict, name: bytes, lineno: int) -> None:
    """Add line ``lineno`` under a name that already finds other lines."""
    current = index[name]
    if current.__class__ is int:
        if current != lineno:  # a name repeated within one line counts once
            index[name] = [current, lineno]
    elif current[-1] != lineno:
        current.append(lineno)


def _odd_lines(data: bytes, lines: list, last_has_newline: bool) -> set:
    """Line numbers whose reading needs __nss_readline's details: NUL bytes, and a last
    line without newline that starts with whitespace."""
    odd = set()
    if b"\0" in data:
        odd.update(k for k, raw in enumerate(lines, 1) if b"\0" in raw)
    if lines and not last_has_newline and lines[-1][:1] and lines[-1][:1] in _WS:
        odd.add(len(lines))
    return odd


# bytes.translate table: whitespace -> " ", digits and "." -> "0", non-ASCII -> "~",
# "\n", ":" and "#" kept, anything else -> "a"
_SPECIAL_TABLE = bytes(
    0x20 if c in _WS and c != 0x0A else 0x30 if c in b"0123456789." else 0x7E if c > 0x7F
    else c if c in b"\n:#" else 0x61 for c in range(256))


def _special_lines(data: bytes) -> set:
    """Line numbers that need the careful path, found with C-speed scans of the whole
    text: a comment, a word that starts with a digit or '.', a ':', '..', non-ASCII."""
    squashed = data.translate(_SPECIAL_TABLE)
    positions = []
    for needle, text in ((b" 0", squashed), (b":", squashed), (b"#", squashed),
                         (b"~", squashed), (b"..", data)):
        at = text.find(needle)
        while at >= 0:
            positions.append(at)
            at = text.find(needle, at + 1)
    positions.sort()
    found = set()
    lineno, scanned = 1, 0
    for at in positions:
        lineno += data.count(b"\n", scanned, at)
        scanned = at
        found.add(lineno)
    return found


def _line_notes(lineno: int, raw: bytes, line: bytes) -> list[Problem]:
    """Problems of a line glibc reads: what it does that the line does not show."""
    shown = _show(raw)
    notes = []
    names = line.split()[1:] or [b""]

    def note(kind: str, reason: str) -> None:
        notes.append(Problem(lineno, kind, reason, False, shown))

    if names == [b""]:
        note("no-name", "only an address: glibc keeps the line with an empty name, which "
             "only the query '' matches")
    numeric = [n for n in names if n and _numeric_host(n, AF_UNSPEC) is not None]
    if numeric and len(numeric) == len(names):
        note("unreachable", "every name is an address, which getaddrinfo answers itself "
             "without reading the file: this line can never answer")
    elif numeric:
        note("numeric-name", f"names that are addresses ({_show(b' '.join(numeric), 60)}): "
             "getaddrinfo answers them itself without reading the file")
    refused = [n for n in names if n not in numeric and _digits_dots_refuses(n)]
    if refused:
        note("ipv4-never-asks", f"names that look numeric ({_show(b' '.join(refused), 60)}): "
             "AF_INET lookups (the digits_dots check of gethostbyname2_r) never read the file "
             "for them")
    if len(raw) > _LONG_LINE:
        note("long-line", f"line is {len(raw):,} bytes long: glibc reads it whole (its buffer "
             "doubles until the line fits), on every lookup")
    if not line.isascii():
        try:
            line.decode("utf-8")
            note("non-ascii", "a non-ASCII name: socket.getaddrinfo(str) sends IDNA (xn--...) "
                 "text, which never matches it; only a bytes query does")
        except UnicodeDecodeError:
            note("not-utf8", "bytes that are not UTF-8: glibc compares names byte for byte, "
                 "so only a bytes query can match them")
    if any(_IDNA_REFUSED.search(n) for n in names):
        note("idna-refused", "a name with an empty label or a label over 63 bytes: "
             "socket.getaddrinfo(str) refuses it with UnicodeError before glibc sees it; a "
             "bytes query reaches it")
    return notes


def _report_odd_line(problems: list, lineno: int, raw: bytes, view: Optional[bytes]) -> None:
    """Lines with a NUL byte, or a last line whose leading whitespace glibc mishandles."""
    nul = raw.find(b"\0")
    plain = raw.split(b"#", 1)[0].split()
    if nul >= 0:
        kind = "nul-byte"
        reason = f"NUL byte at column {nul + 1}: glibc ignores the rest of the line"
        if view is None:
            problems.append(Problem(lineno, kind, reason + ", which leaves nothing to read",
                                    True, _show(raw)))
            return
    else:
        kind, reason = "readline-tail", "leading whitespace on a last line without a newline"
    if view is not None and view.split() != plain:
        reason += f"; glibc 2.36 reads it as {_show(view, 80)!r}"
        if raw[:1] in _WS:
            reason += " (__nss_readline moves the text left without its terminating NUL)"
    elif nul < 0:
        return  # harmless: glibc reads what the line shows
    problems.append(Problem(lineno, kind, reason, False, _show(raw)))


def load(path: Union[str, os.PathLike] = "/etc/hosts") -> HostsFile:
    """Parse a hosts file from disk (default: this machine's /etc/hosts).

    >>> isinstance(load(), HostsFile)  # doctest: +SKIP
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    with open(path, "rb") as f:
        return parse(f.read())
