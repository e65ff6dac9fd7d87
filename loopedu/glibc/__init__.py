"""A model of glibc 2.36's resolver (Debian 12): hosts files, getaddrinfo's sort, host.conf.

Introduced in notebooks/02-localhost-is-a-name.ipynb; :mod:`loopedu.hosts` is the public
face. Each module follows one part of glibc's source and names the files it reads:

- :mod:`.ctext`: the C string functions the configuration parsers lean on (``strtoul``);
- :mod:`.inet`: address spellings (``inet_pton``, ``__inet_aton_exact``);
- :mod:`.hostconf`: /etc/host.conf and the ``RESOLV_*`` variables;
- :mod:`.policy`: /etc/gai.conf and glibc's built-in RFC 3484 tables;
- :mod:`.netlink`: the interface data ``__check_pf`` reads over netlink;
- :mod:`.machine`: :class:`~.machine.Machine`, what getaddrinfo learns from this machine;
- :mod:`.sort`: ``rfc3484_sort`` in the merge sort ``qsort_r`` runs, and host.conf ``reorder``;
- :mod:`.hostsfile`: reading a hosts file as the files backend does;
- :mod:`.linescan`: the whole-text scans that find the few lines needing a closer look;
- :mod:`.problems`: the lines glibc skips or reads differently from how they look;
- :mod:`.files`: answering a query from a parsed file, as getaddrinfo would.

The package imports only the standard library (psutil inside the one function that reads
interface addresses), and importing it only imports: nothing is read or probed until a
function or method is called.
"""
