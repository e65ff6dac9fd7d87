"""Exercises of lesson 00, "start here".

Introduced in notebooks/00-start-here.ipynb.

The learner's first connection, written in the lesson itself: a server socket bound to
loopback and a client connected to it, checked live. In the exercise notebook: which
address this very notebook uses to reach its kernel, a connection of the learner's own
to one of that kernel's ports (checked live against its connection file), and what to do
when a prediction turns out wrong. Messages and hints guide; they never give the answer.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket

from .. import kernel_link
from ..addresses import is_loopback
from .answers import expect_choice
from .framework import Feedback, exercise
from .port_range import fixed_port_reason
from .reading import show

#: The situation of "00.predict-first", for the notebook to show before its options: not
#: one of the course's own predictions (that would answer it before its lesson asks).
PREDICT_FIRST_SITUATION = (
    "A colleague's notebook asks which program listens on port 5432 of their laptop. You "
    "predict \"postgres\". The cell runs and prints: A surprise: it was "
    "\"docker-proxy\". What do you do next?")

# The question of "00.predict-first", for the notebook to show.
PREDICT_FIRST_OPTIONS = {
    "a": "Change your prediction to \"docker-proxy\" and run both cells again, so that "
         "your record shows a match.",
    "b": "Write in one line why you think docker-proxy was there, and only then read "
         "the notebook's explanation.",
    "c": "Read the notebook's explanation first, then write your one line in your own "
         "words, so that it is right.",
    "d": "Run the experiment again: the first run was probably a fluke.",
}

_NOT_AN_ANSWER = {
    "0.0.0.0": "0.0.0.0 is what a server binds to when it wants to listen on every "
               "interface, reachable from other machines, and a kernel has no reason to "
               "be reachable from the network. (Connecting to 0.0.0.0 is another story, "
               "told in lesson 03.)",
    "localhost": "Close, but localhost is a name, and a name has to be looked up before "
                 "anything can connect (lesson 02). The connection file stores the "
                 "address itself: which one?",
    "::1": "That is the IPv6 version of the right idea, but Jupyter's connection file "
           "uses IPv4 by default. Which IPv4 address plays the same role?",
    "tcp": "TCP is the transport. The question asks for the address it connects to.",
    "ipc": "Jupyter can use IPC sockets, but by default it uses TCP. Which address does "
           "that TCP connect to?",
}


#: The right answers of 00.kernel-transport, as _squeeze leaves them.
_KERNEL_RIGHT = ("127.0.0.1", "loopback", "loopbackaddress", "theloopbackaddress",
                 "loopbackinterface", "theloopbackinterface", "lo")


def _squeeze(text: str) -> str:
    """Case- and space-insensitive: ``" Loop Back "`` -> ``"loopback"``."""
    return "".join(text.split()).casefold()


_WITH_PORT = re.compile(r"^\[?(?P<address>[^\[\]]+?)\]?:(?P<port>\d{1,5})$")


def _short_form(value: str) -> ipaddress.IPv4Address | None:
    """The address inet_aton(3) reads from a short form such as "127.1" (the last
    number fills the remaining bytes), or None for anything else."""
    if not re.fullmatch(r"\d+(\.\d+){1,2}", value):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(value))
    except OSError:
        return None


def _kernel_wrong(value: str) -> str | None:
    with_port = _WITH_PORT.match(value)
    if with_port and (":" not in with_port["address"] or value.startswith("[")):
        address = with_port["address"]
        about = (_address_message(address) or "Without the port, that is the answer.")
        return (f"That has a port in it ({with_port['port']}, after the colon): the "
                f"question asks for the address alone. {about}")
    short = _short_form(value)
    if short is not None:
        if str(short) == "127.0.0.1":
            return ("That is a short form, which inet_aton(3) fills in to the right "
                    "address; the connection file writes it with all four numbers: "
                    "give it so.")
        return (f"That is a short form, which inet_aton(3) reads as {short}. "
                + (_kernel_wrong(str(short)) or ""))
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        if value in {"eth0", "wlan0", "en0", "ens3", "wi-fi", "ethernet"}:
            return ("That is a network card's interface. Does the traffic between the "
                    "notebook and its kernel ever need to reach a network card?")
        return None
    if address.version == 6 and address.is_loopback:   # ::1 written out in full
        return _NOT_AN_ANSWER["::1"]
    if address.is_loopback:
        return ("Every 127.x.y.z address reaches this machine, but the connection file "
                "names one particular address: look at its \"ip\" field.")
    return ("That is an address other machines could use to reach this one (or none at "
            "all). A kernel only needs to be reachable from this machine.")


def _address_message(value: str) -> str | None:
    """What to say about ``value`` as the answer to 00.kernel-transport: None when it is
    right, else the message (a known wrong answer's, else :func:`_kernel_wrong`'s)."""
    text = _squeeze(value)
    if text in _KERNEL_RIGHT:
        return None
    return (_NOT_AN_ANSWER.get(text) or _kernel_wrong(text)
            or "That is not an IP address. The \"ip\" field holds one, four numbers "
               "with dots between them, like the addresses in the lesson.")


#: The fields of a connection file that 00.kernel-transport compares with the live one
#: (never the signing key, which the answer may hold but no message repeats).
_COMPARED = ("transport", "ip", *kernel_link.CHANNELS)

_READ_IT = ("Set answer to the dict that json.load(...) returns for the connection file "
            "(not a value typed in, and do not print it: it holds the signing key).")


def _read_elsewhere(ip: str, info: dict | None) -> Feedback | None:
    """A pass for a kernel whose connection file (``info``) names an address other than
    loopback (a kernel started with ``--ip``), when the answer's "ip" is that address:
    the question asks what the file says, and this machine's file says that."""
    live = _ip(info.get("ip")) if info else None
    if live is None or is_loopback(live) or _ip(ip.strip()) != live:
        return None
    return Feedback(True, (
        f"Right, this kernel's connection file says {info['ip']}. That is not loopback: "
        "programs on other machines that reach this one can connect to its ports, and "
        "only the signing key keeps them out. Jupyter's default is 127.0.0.1; whoever "
        "started this kernel chose otherwise."))


def _not_this_file(answer: dict, info: dict | None) -> str | None:
    """Which field of ``answer`` differs from the running kernel's connection file
    (``info``); None when they agree, or when there is no running kernel to compare
    with."""
    if info is None:
        return None
    differ = [field for field in _COMPARED if field in info
              and str(answer.get(field)) != str(info[field])]
    if not differ:
        return None
    return (f"That dict is not this kernel's connection file: its {differ[0]!r} field "
            "differs. Open the path get_connection_file() returns, and json.load that "
            "file.")


def _is_a_path(answer) -> bool:
    """Whether ``answer`` is a path to a file (a connection file's, most likely): a
    path object, a string ending ".json", or the name of a file that exists."""
    if isinstance(answer, os.PathLike):
        return True
    if not isinstance(answer, str) or not answer.strip():
        return False
    text = answer.strip()
    try:
        return text.casefold().endswith(".json") or os.path.isfile(text)
    except (OSError, ValueError):   # a name too long, or with a NUL byte
        return False


@exercise("00.kernel-transport", lesson=0,
          title="Read the kernel's connection file with json: which address does it name?",
          hints=[
              "get_connection_file() returns the file's path, a string. open() the path, "
              "then json.load(...) the open file: you get a dict.",
              "answer is that whole dict, not one value from it: the check compares it "
              "with the file this kernel is running from.",
              "Inside a `with open(path, encoding=\"utf-8\") as file:` block, "
              "answer = json.load(file) reads the whole file.",
          ])
def _kernel_transport(answer):
    if isinstance(answer, dict):
        if "ip" not in answer:
            return Feedback(False, "That dict has no \"ip\" field, so it is not a kernel's "
                                   "connection file. " + _READ_IT)
        info = kernel_link.connection_info()   # the running kernel's file, read once
        problem = _not_this_file(answer, info)
        if problem:
            return Feedback(False, problem)
        if "key" not in answer and info is not None:
            return Feedback(False, "That dict has no \"key\" field: it looks like the "
                                   "lesson's helper, kernel_link.connection_info(), which "
                                   "drops the key. Read the file yourself: open the path "
                                   "get_connection_file() returns and json.load it.")
        ip = str(answer["ip"])
        message = _address_message(ip)
        if message is None and _ip(ip) is not None:
            return Feedback(True, (
                "Right: you read this kernel's connection file yourself. Its \"ip\" is "
                "127.0.0.1, the loopback address: by default only programs on this "
                "machine can connect to the kernel, and its traffic goes through lo, not "
                "a network card. Lesson 01 looks at the whole loopback range it belongs "
                "to."))
        return _read_elsewhere(ip, info) or Feedback(False, (
            "Its \"ip\" field reads " + repr(ip) + ". "
            + (message or "A connection file writes an IP address there.")))
    if _is_a_path(answer):
        return Feedback(False, "That is the file's path: pass what json.load reads from "
                               "it. " + _READ_IT)
    if isinstance(answer, (str, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        message = _address_message(str(answer).strip())
        if message is None:
            return Feedback(False, "Right address, but typed in: the lesson printed it. "
                                   + _READ_IT)
        return Feedback(False, message + " " + _READ_IT)
    return Feedback(False, f"Got {show(answer)}. " + _READ_IT)


@exercise("00.predict-first", lesson=0,
          title="A prediction turned out wrong: what next?",
          hints=[
              "Look at the three habits at the top of lesson 00: what does a prediction "
              "cell (🔮) ask of you, and what happens after a surprise?",
              "A surprise is the moment your picture of the machine was wrong. Which "
              "option makes you find out where?",
          ])
def _predict_first(answer):
    return expect_choice(
        answer, "b", PREDICT_FIRST_OPTIONS,
        common={
            "a": "A record that shows a match you did not make hides the one thing the "
                 "experiment told you: where your picture of the machine was wrong.",
            "c": "Then your line is the course's idea in your words, and you never find "
                 "out what you thought. Your own reason, written before you read theirs, "
                 "is what shows where your picture of the machine was wrong.",
            "d": "The program that holds a port does not change from one second to "
                 "the next: running it again only shows the surprise again.",
        },
        right="Surprised? Say why in one line first (explain(...)), then read the "
              "course's why: the gap between the two is what you learn.")


# ---- 00.first-connection --------------------------------------------------------------
# The learner's own sockets are inspected, never changed: no close, no accept, no
# timeout set. Every socket call that can fail is asked through _ask, so that a closed,
# half-made or foreign socket gives a message, not an exception.

def _pair_advice(exercise_id: str) -> str:
    return (f"Pass your two sockets as a pair, server first: check(\"{exercise_id}\", "
            "(server, client)).")
_WIDER = ("That is wider than this needs: the client runs on this same machine, so the "
          "server only has to be reachable from here. Which address do programs use to "
          "reach the machine they run on?")


def _ask(call, *args):
    """``call(*args)``, or None when the socket refuses (closed, not connected...)."""
    try:
        return call(*args)
    except (OSError, ValueError, TypeError):
        return None


def _listening(sock: socket.socket) -> bool | None:
    """Whether ``sock`` listens (SO_ACCEPTCONN, socket(7)); None where it cannot tell."""
    option = getattr(socket, "SO_ACCEPTCONN", None)
    if option is None:
        return None
    value = _ask(sock.getsockopt, socket.SOL_SOCKET, option)
    return None if value is None else bool(value)


def _ip(text) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a socket reports, IPv4-mapped ones unmapped; None if unreadable."""
    try:
        address = ipaddress.ip_address(str(text).split("%", 1)[0])
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def _is_ip_tcp(sock: socket.socket) -> bool:
    return (sock.family in (socket.AF_INET, socket.AF_INET6)
            and sock.type == socket.SOCK_STREAM)


def _pair_problem(answer, exercise_id: str = "00.first-connection") -> str | None:
    """What is wrong with the shape of the answer, or None for two usable sockets
    (lesson 01's "01.bind-127" asks for the same pair)."""
    advice = _pair_advice(exercise_id)
    if isinstance(answer, socket.socket):
        return "That is one socket. " + advice
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return f"Got {show(answer)}. " + advice
    for role, sock in zip(("server", "client"), answer):
        if not isinstance(sock, socket.socket):
            return (f"The {role} should be a socket made with socket.socket(...), not "
                    f"{show(sock)}. " + advice)
    server, client = answer
    if server is client:
        return ("Both are the same socket. A connection needs two: one that binds and "
                "listens, another that connects to it.")
    for role, sock in (("server", server), ("client", client)):
        if sock.fileno() == -1:
            return (f"The {role} socket is already closed, so there is nothing left to "
                    "check. Call check(...) while both sockets are open (inside the "
                    "`with` block).")
        if not _is_ip_tcp(sock):
            return (f"The {role} is not a TCP socket over IP. Make it with "
                    "socket.socket(socket.AF_INET, socket.SOCK_STREAM).")
    return None


def _server_problem(server: socket.socket) -> str | None:
    name = _ask(server.getsockname)
    if not name or not name[1]:
        return ("The server socket is not bound yet: it has no address and no port. "
                "Give it both with bind(), before listen().")
    address = _ip(name[0])
    if address is None:
        return f"The server is bound to {name[0]!r}, which is not an IP address."
    if address.is_unspecified:
        return (f"The server is bound to {name[0]}, the unspecified address: in bind() "
                "it means every interface of this machine, so other machines on your "
                "network could connect to it too. " + _WIDER)
    if not is_loopback(address):
        return (f"The server is bound to {name[0]}, the address of one of this machine's "
                "network interfaces: other machines on that network could connect to "
                "it. " + _WIDER)
    if _listening(server) is False:
        return ("The server is bound but not listening, so no client can connect to it "
                "yet: call listen() after bind() and before connect().")
    return None


def _client_problem(server: socket.socket, client: socket.socket) -> str | None:
    peer = _ask(client.getpeername)
    if not peer:
        return ("The client is not connected to anything. Connect it to the address and "
                "port the server is bound to (an error printed above the check says "
                "what went wrong, if connect() was called).")
    name = _ask(server.getsockname)
    if _ip(peer[0]) != _ip(name[0]) or peer[1] != name[1]:
        return (f"The client is connected, but not to this server: it reached "
                f"{peer[0]} port {peer[1]}, while the server listens on {name[0]} port "
                f"{name[1]}. Connect it to the address and port the server was given.")
    own = _ask(client.getsockname)
    if not own or not is_loopback(_ip(own[0]) or "0.0.0.0"):
        return ("The client reached the server, but from an address other machines "
                "could use. Let the kernel choose the client's address: do not bind "
                "the client.")
    return None


@exercise("00.first-connection", lesson=0,
          title="Your first connection: bind a server to loopback, connect a client",
          hints=[
              "bind() takes one argument, a tuple (address, port). Which address do "
              "programs use to reach the machine they run on? Which port number asks "
              "the kernel to pick a free port?",
              "A client can only connect to a socket that listens: bind(), then "
              "listen(), then connect().",
              "connect() takes the same kind of tuple: the address and port where the "
              "server is. After bind(), server.getsockname() returns them, with the "
              "port the kernel picked.",
          ])
def _first_connection(answer):
    problem = _pair_problem(answer)
    if problem is None:
        server, client = answer
        if _listening(server) is False and _listening(client) is True:
            problem = ("These look swapped: the second socket listens and the first "
                       "does not. Pass them as (server, client).")
        else:
            problem = _server_problem(server) or _client_problem(server, client)
    if problem:
        return Feedback(False, problem)
    name, own = server.getsockname(), client.getsockname()
    fixed = fixed_port_reason(name[1])
    if fixed:
        return Feedback(False, (
            f"Connected, but your server's {fixed}. The task says port 0: bind port 0, "
            "and the kernel picks a free port for you."))
    return Feedback(True, (
        f"Connected over loopback: your client ({own[0]} port {own[1]}) reached your "
        f"server ({name[0]} port {name[1]}), both on this machine. The kernel "
        "completed the connection for the listening server; a server program would "
        "pick it up with accept()."))


# ---- 00.kernel-connect ----------------------------------------------------------------
# A connection of the learner's own to a port the kernel already listens on: the
# expected address and port come from this kernel's connection file, read at check time.

#: The channel "00.kernel-connect" asks for: the heartbeat, which the Jupyter server
#: uses only to see that the kernel is alive, so a stranger connecting to it disturbs
#: nothing.
KERNEL_CONNECT_CHANNEL = "hb_port"


def _channel_of(info: dict, port: int) -> str | None:
    """The connection-file channel whose port is ``port``, or None."""
    return next((name for name in kernel_link.CHANNELS if info.get(name) == port), None)


@exercise("00.kernel-connect", lesson=0,
          title="Connect a socket of your own to this kernel's heartbeat port",
          hints=[
              "kernel_link.connection_info() returns the connection file as a dict: the "
              "address is under \"ip\", and each channel's port under its own key.",
              "The heartbeat channel's key ends in _port, like the others: print the "
              "dict's keys.",
              "connect() takes one tuple, (address, port): both come from the dict.",
          ])
def _kernel_connect(answer):
    info = kernel_link.connection_info()
    if info is None:
        return Feedback(False, "This check reads the running kernel's connection file, "
                               "and there is none here: run it in a Jupyter notebook.")
    if info.get("transport", "tcp") != "tcp":
        return Feedback(False, f"This kernel was started with transport "
                               f"{info.get('transport')!r}, not TCP: its channels are not "
                               "TCP ports, so there is nothing to connect to here. Lesson "
                               "00's kernel-address cell shows the transport.")
    if not isinstance(answer, socket.socket):
        return Feedback(False, f"Pass your client socket itself (the one you connected), "
                               f"not {show(answer)}.")
    if answer.fileno() == -1:
        return Feedback(False, "Your socket is already closed: call check(...) inside the "
                               "`with` block, while it is connected.")
    if not _is_ip_tcp(answer):
        return Feedback(False, "Make a TCP socket over IP: socket.socket(socket.AF_INET, "
                               "socket.SOCK_STREAM).")
    peer = _ask(answer.getpeername)
    if not peer:
        return Feedback(False, "Your socket is not connected to anything yet. Connect it "
                               "to the heartbeat channel: the address and the port are in "
                               "the connection file (an error printed above the check "
                               "says what went wrong, if connect() was called).")
    wanted = (_ip(info.get("ip")), info.get(KERNEL_CONNECT_CHANNEL))
    if (_ip(peer[0]), peer[1]) == wanted:
        own = _ask(answer.getsockname) or ("?", 0)
        return Feedback(True, (
            f"Connected to your own kernel: port {peer[1]} at {peer[0]}, from your "
            f"client at {own[0]} port {own[1]}. Both ends are this machine, over "
            "loopback; the kernel's heartbeat listener accepted you like any other "
            "client, which is why only programs on this machine should be able to "
            "reach it."))
    channel = _channel_of(info, peer[1])
    if channel and _ip(peer[0]) == wanted[0]:
        return Feedback(False, f"That is the kernel's {channel.removesuffix('_port')} "
                               "channel. Right address, and a real kernel port; the "
                               "question asks for the heartbeat channel's port.")
    if channel:
        return Feedback(False, f"Your socket reached a kernel port at {peer[0]}, not at "
                               "the address the connection file names.")
    return Feedback(False, f"Your socket is connected to {peer[0]} port {peer[1]}, which "
                           "is not one of this kernel's ports: read the address and the "
                           "port from its connection file.")
