"""Exercises of lesson 00, "start here".

Introduced in notebooks/00-start-here.ipynb.

Two warm-ups: which address this very notebook uses to reach its kernel, and how the
course's "predict, then run" cells work. Messages and hints guide; they never give the
answer.
"""

from __future__ import annotations

import ipaddress

from .framework import exercise
from .helpers import expect_choice, expect_equal

# The question of "00.predict-first", for the notebook to show.
PREDICT_FIRST_OPTIONS = {
    "a": "Run every cell first, then read the explanations.",
    "b": "Write down what you expect to happen, run the cell, then compare and read why.",
    "c": "Skip the experiments that need root: without it they teach nothing.",
    "d": "Read the solutions first, then run the cells to confirm them.",
}

_NOT_AN_ANSWER = {
    "0.0.0.0": "0.0.0.0 is what a server binds to when it wants to listen on every "
               "interface, reachable from other machines. You never connect to it, and a "
               "kernel has no reason to be reachable from the network.",
    "localhost": "Close, but localhost is a name, and a name has to be looked up before "
                 "anything can connect (lesson 02). The connection file stores the "
                 "address itself: which one?",
    "::1": "That is the IPv6 version of the right idea, but Jupyter's connection file "
           "uses IPv4 by default. Which IPv4 address plays the same role?",
    "tcp": "TCP is the transport. The question asks for the address it connects to.",
    "ipc": "Jupyter can use IPC sockets, but by default it uses TCP. Which address does "
           "that TCP connect to?",
}


def _squeeze(text: str) -> str:
    """Case- and space-insensitive: ``" Loop Back "`` -> ``"loopback"``."""
    return "".join(text.split()).casefold()


def _kernel_wrong(value: str) -> str | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        if value in {"eth0", "wlan0", "en0", "ens3", "wi-fi", "ethernet"}:
            return ("That is a network card's interface. Does the traffic between the "
                    "notebook and its kernel ever need to reach a network card?")
        return None
    if address.is_loopback:
        return ("Every 127.x.y.z address reaches this machine, but the connection file "
                "names one particular address: look at its \"ip\" field.")
    return ("That is an address other machines could use to reach this one (or none at "
            "all). A kernel only needs to be reachable from this machine.")


@exercise("00.kernel-transport", lesson=0,
          title="Which address does this notebook use to talk to its kernel?",
          hints=[
              "The notebook server and the kernel run on the same machine and talk over "
              "TCP sockets. Where do those sockets connect?",
              "Run `import ipykernel, json` and then "
              "`json.load(open(ipykernel.get_connection_file()))` in a cell, and read "
              "the \"ip\" field.",
              "Traffic to that address never leaves this machine: it goes through a "
              "virtual interface, not a network card. Which one?",
          ])
def _kernel_transport(answer):
    return expect_equal(
        answer, "127.0.0.1",
        also=["loopback", "loopback address", "the loopback address",
              "loopback interface", "the loopback interface", "lo"],
        normalize=_squeeze, common=_NOT_AN_ANSWER, wrong=_kernel_wrong,
        right="The kernel listens on 127.0.0.1, the loopback address: only programs on "
              "this machine can connect to it, and its traffic never touches a network "
              "card. Lesson 01 shows why.")


@exercise("00.predict-first", lesson=0,
          title="How does each experiment in this course work?",
          hints=[
              "Look for the cells headed \"Predict, then run\".",
              "To be surprised by a result, what must you have done before you saw it?",
          ])
def _predict_first(answer):
    return expect_choice(
        answer, "b", PREDICT_FIRST_OPTIONS,
        common={
            "a": "Running first is tempting, but then the output answers the question "
                 "before you have thought about it. The course asks for something "
                 "before you run.",
            "c": "Experiments that need root detect what this machine allows and run "
                 "the best version available; nothing is skipped silently.",
            "d": "The student version has no solutions in it, and reading answers first "
                 "skips the part that makes a lesson stick.",
        },
        right="Predict, run, compare: a wrong prediction is the most useful result, "
              "because it shows exactly what to read next.")
