"""The one layer that knows the machine: what it allows, and the places experiments run.

- :func:`capabilities` what this machine allows, measured once per process
  (:func:`assume` lets tests change the answer in this one place);
- :func:`namespace`, :func:`namespaces` network namespaces, as root or inside an
  unprivileged user namespace, removed whatever ends the ``with`` block;
- :func:`isolated_call` an experiment in a namespace with only ``lo``, or here;
- :func:`private_hosts`, :func:`call_with_hosts` a child with its own /etc/hosts;
- :mod:`loopedu.sandbox.children` running a loopedu function in a child process;
- :mod:`loopedu.sandbox.recordings` results recorded on Linux, labelled with where,
  when and how, for machines that cannot run an experiment.

Nothing in this package imports the lessons' modules above it.

Introduced in notebooks/00-start-here.ipynb.
"""

from .capabilities import ROOT, USER, Capabilities, Capability, assume, capabilities, is_root
from .children import ChildError
from .holders import Namespace, NamespaceUnavailable
from .namespaces import (
                         Isolated,
                         call_with_hosts,
                         host_sysctl,
                         isolated_call,
                         mirror_host,
                         namespace,
                         namespaces,
                         private_hosts,
                         private_mount,
                         reap_stale,
)
from .tools import find_tool

__all__ = ["Capabilities", "Capability", "ChildError", "Isolated", "Namespace",
           "NamespaceUnavailable", "ROOT", "USER", "assume", "call_with_hosts",
           "capabilities", "find_tool", "host_sysctl", "is_root", "isolated_call",
           "mirror_host", "namespace", "namespaces", "private_hosts", "private_mount",
           "reap_stale"]
