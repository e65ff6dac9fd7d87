"""Read a hosts file the way glibc does and answer the way getaddrinfo does.

Introduced in notebooks/02-localhost-is-a-name.ipynb.

:func:`parse` takes the text of a hosts file (str or bytes) and returns a
:class:`HostsFile`; :func:`load` reads one from disk (default /etc/hosts).
``HostsFile.lookup(name, family)`` returns the address strings that glibc's
``getaddrinfo(name, NULL, {family, SOCK_STREAM})`` returns on the machine it runs on when
that text is /etc/hosts and nsswitch.conf says ``hosts: files``: the same addresses in the
same order, duplicates included, ``[]`` where glibc finds nothing.

>>> import socket
>>> hf = parse("127.0.0.1 localhost\\n::1 localhost\\n127.1 short\\n")
>>> hf.lookup("localhost", socket.AF_INET6)
['::1']
>>> [(p.line, p.kind) for p in hf.problems]
[(3, 'bad-address')]

The rules come from glibc 2.36's source; the model lives in :mod:`loopedu.glibc`, one
module per part of glibc, each naming the files and functions it follows:

- reading lines: ``nss/nss_readline.c`` (``__nss_readline``), ``nss/nss_files/files-parse.c``
  (``LINE_PARSER``, ``STRING_FIELD``, ``parse_list``), ``nss/nss_files/files-hosts.c``
  (the hosts ``LINE_PARSER``): :mod:`loopedu.glibc.hostsfile` and
  :mod:`loopedu.glibc.problems`;
- which lines answer which family: ``files-hosts.c`` (``_nss_files_gethostbyname3_r``
  for AF_INET and AF_INET6, ``_nss_files_gethostbyname4_r`` for AF_UNSPEC,
  ``gethostbyname3_multi``) and ``sysdeps/posix/getaddrinfo.c`` (``get_nss_addresses``,
  ``try_simple_gethostbyname``, ``text_to_binary_address``), ``nss/digits_dots.c``:
  :mod:`loopedu.glibc.files`;
- the order: ``rfc3484_sort`` with /etc/gai.conf and /etc/host.conf, which probes this
  machine: :mod:`loopedu.glibc.sort`, :mod:`loopedu.glibc.machine`,
  :mod:`loopedu.glibc.policy`, :mod:`loopedu.glibc.hostconf`.

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

from loopedu.glibc.files import Match
from loopedu.glibc.hostsfile import Entry, HostsFile, load, parse
from loopedu.glibc.problems import Problem

__all__ = ["parse", "load", "HostsFile", "Entry", "Problem", "Match"]
