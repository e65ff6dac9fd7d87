# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Measuring loopback
#
# **Objectives.** After this lesson you can:
# - capture a loopback connection on `lo` and name its packets *(exercise 07.packets)*;
# - measure round trips and read a histogram's median and p99
#   *(exercise 07.histogram)*;
# - explain how the transport, the buffer size and the CPU placement change loopback
#   numbers *(exercise 07.why-numbers)*;
# - explain and fix a 40 ms stall *(exercise 07.nagle)*.
#
# **Prerequisites.** Lesson 04 (lo counts loopback traffic) and lesson 06 (a Unix-domain
# socket against TCP, for a database).
#
# **Minutes:** 35 teaching + 15 exercises.

# %%
import os

from loopedu import capture, doctor, measure, plots
from loopedu.exercises import predict, reveal

print("this machine:", doctor.this_machine())
print("CPUs this notebook may use:", len(os.sched_getaffinity(0))
      if hasattr(os, "sched_getaffinity") else os.cpu_count())

# %% [markdown]
# Every number in this lesson is measured here, now, and differs from run to run and
# machine to machine: read the ratios and the shapes, not the digits. The reference
# outputs were made on a small Linux virtual machine with 2 CPUs.
#
# ## Seeing loopback traffic
#
# "You'd never see loopback traffic" is true of the wire: no cable and no network card
# carry it (lesson 04's counters). It is not true of the host. The kernel builds real
# packets, hands them to `lo`, and `lo` hands them back up; a
# [packet capture](glossary.md#packet-capture) on `lo` sees every one. The plain calls
# (Linux): an `AF_PACKET` socket bound to `lo` receives a copy of each frame (packet(7));
# it needs root or CAP_NET_RAW.

# %%
import socket
import time

try:
    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
except (AttributeError, PermissionError) as exc:
    print("no capture here:", type(exc).__name__, "(it needs Linux and root)")
else:
    with sniffer:
        sniffer.bind(("lo", 0))
        sniffer.settimeout(0.2)
        with socket.create_server(("127.0.0.1", 0)) as server:
            port = server.getsockname()[1].to_bytes(2, "big")
            with socket.create_connection(server.getsockname()) as client:
                conn, _ = server.accept()
                conn.close()
        frames = []
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            try:
                frame = sniffer.recv(65535)
            except TimeoutError:
                break
            # 14 bytes of Ethernet header, 20 of IPv4, then TCP's source and destination port
            if port in (frame[34:36], frame[36:38]):
                frames.append(frame)
    print(len(frames), "frames of that one connection seen on lo, opened and closed "
          "(lo shows each packet twice: leaving and arriving)")

# %% [markdown]
# (The check of the port bytes assumes IPv4 without options; good enough here.) The
# course's `capture.capture_http_request()` does it properly: a filter in the kernel keeps
# only the one connection it makes, it keeps one copy of each packet, and decodes
# Ethernet, IP and
# [TCP](glossary.md#tcp). Without root it runs the whole experiment in a private
# [network namespace](glossary.md#network-namespace), whose `lo` an ordinary user may
# capture on; where neither works it shows a recording, labelled.

# %%
# 🔮 Your prediction: how many packets does one HTTP request over a fresh connection
# make on lo, from the first SYN to the last ACK?
prediction = ...
### BEGIN SOLUTION
prediction = 2  # an example prediction: "a request and a response"
### END SOLUTION
predict("07.packet-count", prediction)

# %%
seen = capture.capture_or_recorded()
print(capture.format_packets(seen))
reveal("07.packet-count", seen.count,
       why="TCP opens the connection with three packets (SYN, SYN-ACK, ACK), each side's "
           "data is acknowledged, and each side closes with a FIN that the other "
           "acknowledges. Loopback skips the wire, not TCP.")

# %% [markdown]
# Read it top to bottom: the [three-way handshake](glossary.md#handshake), then the
# request (`PSH-ACK` carrying `GET / HTTP/1.1`), an ACK, the response and its ACK, then
# a FIN from each side. `seq` and `ack` count bytes from each side's first sequence
# number (RFC 9293 §3.4). The times are microseconds from the first packet: the whole
# conversation takes about a millisecond or less on loopback.
#
# ## Round trips
#
# A [round trip](glossary.md#round-trip) is one small message sent and its answer read
# back. The plain calls: a server that answers each message (here a thread), a client
# that times a thousand exchanges with `time.perf_counter_ns`.

# %%
import statistics
import threading

with socket.create_server(("127.0.0.1", 0)) as server:
    def answer():
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(64):
                conn.sendall(data)

    thread = threading.Thread(target=answer)
    thread.start()
    with socket.create_connection(server.getsockname()) as client:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        took = []
        for _ in range(1000):
            start = time.perf_counter_ns()
            client.sendall(b"x" * 32)
            client.recv(64)
            took.append((time.perf_counter_ns() - start) / 1000)
    thread.join()
print(f"median {statistics.median(took):.1f} us, "
      f"p99 {statistics.quantiles(took, n=100)[98]:.1f} us over 1000 round trips")

# %% [markdown]
# Those two threads share one Python interpreter, which adds its own costs. The course's
# `measure.rtt()` puts the answering side in a separate process, uses blocking sockets
# with no timeout (a timeout makes Python call `poll()` before every `recv()`), and
# reuses one buffer: what remains is mostly the kernel's work. Here it measures the three
# transports side by side, interleaved so each sees the same machine load:
# TCP and UDP over 127.0.0.1 and a [Unix-domain socket](glossary.md#unix-socket).

# %%
# 🔮 Your prediction: which transport has the shortest median round trip here?
# ("tcp", "udp" or "unix")
prediction = ...
### BEGIN SOLUTION
prediction = "udp"  # an example prediction: "no connection, so fastest"
### END SOLUTION
predict("07.fastest", prediction)

# %%
transports = measure.compare_rtt({"tcp": ("tcp", "127.0.0.1"), "udp": ("udp", "127.0.0.1"),
                                  "unix": ("unix", "")}, count=3000)
print(measure.format_rtt(transports))
fastest = min(transports.results, key=lambda t: transports.results[t].median_us)
reveal("07.fastest", fastest,
       why="a Unix-domain socket passes bytes from one process to the other inside the "
           "kernel, with no IP, no TCP, no checksums and no acknowledgements (unix(7)). "
           "UDP skips TCP's acknowledgements but still goes through IP and lo.")

# %%
plots.rtt_histogram(transports)

# %% [markdown]
# A round-trip histogram has a tall body and a long thin tail. The
# [median](glossary.md#round-trip) (half the samples are faster) describes the typical
# trip; p99 (99 in 100 are faster) describes the unlucky ones: the scheduler ran
# something else first, an interrupt arrived, a cache was cold. The mean sits between
# and describes neither, which is why the course reports medians and percentiles.
#
# ### Where the two ends run
#
# A round trip on loopback is two processes taking turns. If they share one CPU, each
# hand-over is a switch on that CPU; on two CPUs, the sender must wake the other CPU,
# which may be idle and asleep. `cpus="same"` and `cpus="different"` pin both ends with
# `os.sched_setaffinity` (Linux; elsewhere the result says it could not).

# %%
placed = {where: measure.rtt(count=3000, cpus=where) for where in ("same", "different")}
for where, result in placed.items():
    print(f"{where:<9} median {result.median_us:6.1f} us, p99 {result.p99_us:6.1f} us  "
          f"({result.placement})")

# %% [markdown]
# On the reference machine the two placements differ clearly; which one wins depends on
# the CPU and on the virtual machine's scheduler, and a ratio of two or more either way
# is common. That is why a benchmark must say where its processes ran, and why the
# course's comparisons pin both ends the same way.
#
# ## Throughput
#
# [Throughput](glossary.md#round-trip) is bytes per second through one connection:
# `measure.throughput()` sends from this process to a receiving child process for a
# fraction of a second and counts what arrived.

# %%
bulk = measure.throughput(seconds=0.5)
print(f"{bulk.gbit_per_s:.1f} Gbit/s: {bulk.bytes:,} bytes in {bulk.seconds:.2f} s "
      f"with {bulk.buffer_size // 1024} KiB per write")

# %% [markdown]
# That is faster than most network cards, and no card is involved: on loopback the CPU
# copying bytes is the limit. So what happens when each `send()` carries less?

# %%
# 🔮 Your prediction: with 1 KiB per write instead of 128 KiB, what fraction of the
# throughput is left? (a number between 0 and 1)
prediction = ...
### BEGIN SOLUTION
prediction = 0.9  # an example prediction
### END SOLUTION
predict("07.small-writes", prediction)

# %%
sweep = measure.buffer_sweep(seconds=0.2)
print(measure.format_throughput(sweep))
by_size = {t.buffer_size: t for t in sweep}
reveal("07.small-writes", round(by_size[1024].gbit_per_s / by_size[131072].gbit_per_s, 2),
       why="every send() and recv() is a system call with a fixed cost, however few bytes "
           "it carries; small writes pay that cost far more often per byte.")

# %%
plots.throughput_by_buffer(sweep)

# %% [markdown]
# The "µs per write" column is the cost of one `send()` with its share of the
# receiver's work: nearly constant for small buffers, so throughput grows with the
# buffer until copying the bytes dominates.
#
# ## 💥 Break it on purpose: the 40 ms stall
#
# A client writes a small header, then a small body, then waits for the reply: the
# "write, write, read" pattern. TCP has two habits that save packets
# ([Nagle and delayed ACK](glossary.md#nagle)): the client's kernel holds a small
# segment back while earlier data is unacknowledged (RFC 896), and the server's kernel
# waits a little before acknowledging, hoping to send the ACK with data (RFC 1122
# §4.2.3.2). Here they wait for each other.

# %%
# 🔮 Your prediction: the median time of one write-write-read request, in milliseconds,
# with the default settings (Nagle on)?
prediction = ...
### BEGIN SOLUTION
prediction = 0.05  # an example prediction: "loopback is fast"
### END SOLUTION
predict("07.nagle-stall", prediction)

# %%
stall = measure.compare_nagle(rounds=5)
print(measure.format_nagle(stall))
reveal("07.nagle-stall", round(stall.median_ms("two writes, Nagle on"), 1),
       why="the body waits for the ACK of the header (Nagle), and the server delays that "
           "ACK (at least 40 ms on Linux: TCP_DELACK_MIN in include/net/tcp.h) because it "
           "has nothing to send until the body arrives.")

# %% [markdown]
# The fixes are the two other lines: `TCP_NODELAY` on the client (tcp(7)) turns Nagle
# off, so the body leaves at once; or send header and body in **one** write, so there is
# no second small segment to hold back. Other systems use other delayed-ACK timers
# (Windows 200 ms by default), so the stall is longer there, not gone. Many libraries
# set TCP_NODELAY for you; the course's echo server does too.
#
# ## How faithful are these numbers?
#
# Python adds its own cost to every call. The course's benchmark
# `tests/benchmarks/bench_vs_tools.py` measures, in one run and with the same CPU
# placement, `measure.throughput()` against iperf3 and `measure.rtt()` against sockperf
# (two C tools made for this). Run it on your machine to see how close the course gets.
#
# ## Your turn
#
# [The exercises](../exercises/07-measuring-loopback-exercises.ipynb): the first packets
# on lo, a histogram, why numbers differ, and a 40 ms stall.
#
# ## Key points
#
# - Loopback traffic is real TCP/IP: a capture on `lo` shows the handshake, the data,
#   the ACKs and the FINs. Only the wire is missing.
# - Report round trips as a median and a tail percentile, with the CPU placement; on
#   loopback the CPU and the scheduler set the numbers.
# - A Unix-domain socket skips TCP/IP; bigger writes mean fewer system calls per byte.
# - Write-write-read over TCP can stall 40 ms (Nagle plus delayed ACK): set TCP_NODELAY
#   or send the request in one write.
#
# ## Sources
#
# - Linux manual pages: `packet(7)` (AF_PACKET, CAP_NET_RAW), `tcp(7)` (TCP_NODELAY,
#   TCP_QUICKACK), `unix(7)`, `sched_setaffinity(2)`, `network_namespaces(7)`,
#   `user_namespaces(7)`.
# - RFC 9293 §3.4 and §3.5 (sequence numbers, the three-way handshake), RFC 896
#   (Nagle's algorithm), RFC 1122 §4.2.3.2 (delayed ACK).
# - Linux kernel source, `include/net/tcp.h` (`TCP_DELACK_MIN`, HZ/25 = 40 ms).
# - Microsoft KB 328890 (TcpAckFrequency, TcpDelAckTicks: Windows' delayed-ACK timer,
#   200 ms by default).
# - iperf3 (ESnet) and sockperf (Mellanox/NVIDIA) documentation, for the benchmark.
