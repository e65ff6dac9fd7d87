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
# - read a capture of a loopback connection on `lo`, and predict the packets of a
#   refused one *(exercise 07.packets)*;
# - read a round-trip histogram's median and p99 *(exercise 07.histogram)*;
# - explain how the transport, the buffer size, the CPU placement and `lo` itself shape
#   loopback numbers *(exercise 07.why-numbers)*;
# - explain why a request sent in two small writes stalls, and write a client that keeps
#   two buffers and Nagle on, without the stall *(exercises 07.nagle, 07.nodelay)*.
#
# **Prerequisites.** Lesson 04 (lo counts loopback traffic) and lesson 06 (a Unix-domain
# socket against TCP, for a database).
#
# **Minutes:** 44 teaching + 25 exercises; Going further: 2 more.

# %%
import os

from IPython.display import display

from loopedu import capture, doctor, measure, plots
from loopedu.exercises import explain, predict, reveal, within

print("this machine:", doctor.this_machine())
print("CPUs this notebook may use:", len(os.sched_getaffinity(0))
      if hasattr(os, "sched_getaffinity") else os.cpu_count())

# %% [markdown]
# Every number here is measured now, on this machine. It moves from run to run: read the
# ratios and the shapes, not the digits.
#
# ## Seeing loopback traffic
#
# "You'd never see loopback traffic" is true of the wire: no cable or card carries it
# (lesson 04). On the host, the kernel builds real packets and hands them to `lo`, which
# hands them back up. A [packet capture](glossary.md#packet-capture) on `lo` sees them.

# %%
# 🔮 Your prediction: how many packets does one HTTP request over a fresh connection
# make on lo, from the first SYN to the last ACK?
prediction = ...
### BEGIN SOLUTION
prediction = 2  # an example prediction: "a request and a response"
### END SOLUTION
predict("07.packet-count", prediction)

# %% [markdown]
# The plain calls (Linux): an `AF_PACKET` socket bound to `lo` receives a copy of each
# IPv4 packet there (packet(7)). It needs root. Here it watches one connection open and
# close.

# %%
import socket

sniffer = None
try:
    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0800))  # IPv4
    sniffer.bind(("lo", 0))
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)), server.accept()[0]:
            pass                                 # open a connection, then close both ends
    packets = capture.frames_for_port(sniffer, port)   # read until lo is quiet for 0.2 s
    print(len(packets), "packets:", " ".join(capture.flag_text(p.flags) for p in packets))
except (AttributeError, PermissionError) as exc:
    print("no capture here:", type(exc).__name__, "(it needs Linux and root)")
finally:
    if sniffer:
        sniffer.close()

# %% [markdown]
# The course's `capture.capture_http_request()` captures one HTTP request properly: one
# copy of each packet, decoded down to [TCP](glossary.md#tcp). Without root it runs in a
# private [network namespace](glossary.md#network-namespace); where neither works, it
# shows a recording, labelled.

# %%
seen = capture.capture_or_recorded()
print(capture.format_packets(seen))
reveal("07.packet-count", seen.count,
       recorded=None if seen.live else seen.where)

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "TCP still opens, acknowledges and closes, even on loopback"  # an example
### END SOLUTION
explain("07.packet-count", explanation)

# %% [markdown]
# Read it top to bottom. First the [three-way handshake](glossary.md#handshake). Then the
# request (`PSH-ACK` carrying `GET / HTTP/1.1`), an ACK, the response and its ACK. Last,
# a FIN from each side. The whole conversation takes about a millisecond.
#
# ## Round trips
#
# How long does a small message take to reach another program here and come back? That
# is a [round trip](glossary.md#round-trip). The plain calls: a server thread answers
# each message, and a client times a thousand of them with `time.perf_counter_ns`.

# %%
import statistics
import threading
import time

with socket.create_server(("127.0.0.1", 0)) as server:
    def answer():
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(64):
                conn.sendall(data)

    thread = threading.Thread(target=answer)
    thread.start()
    with socket.create_connection(server.getsockname()) as client:
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
# Those two threads share one Python interpreter, which costs time too. The course's
# `measure.rtt()` runs the answering side in a process of its own. Here it measures TCP
# and UDP over 127.0.0.1 and a
# [Unix-domain socket](glossary.md#unix-socket), interleaved. All three run with both
# ends on one CPU (`cpus="same"`): the section after this one shows why that matters.

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
                                  "unix": ("unix", "")}, count=3000, cpus="same")
display(plots.rtt_histogram(transports))
fastest = min(transports.results, key=lambda t: transports.results[t].median_us)
reveal("07.fastest", fastest)

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "A Unix socket skips IP and TCP altogether"  # an example
### END SOLUTION
explain("07.fastest", explanation)

# %% [markdown]
# A round-trip histogram has a tall body and a long thin tail. The
# [median](glossary.md#round-trip) (half the samples are faster) describes the typical
# trip. The p99 (99 in 100 are faster) describes the unlucky ones. The scheduler or an
# interrupt delayed them. The mean describes neither, so the course reports percentiles.
#
# ### Where the two ends run
#
# A round trip on loopback is two processes taking turns. On one CPU, each hand-over is
# a switch on that CPU. On two, the sender must wake the other CPU, which may be asleep.
# `cpus="same"` and `cpus="different"` pin both ends (Linux `os.sched_setaffinity`).

# %%
placed = {where: measure.rtt(count=3000, cpus=where) for where in ("same", "different")}
for where, result in placed.items():
    print(f"{where:<9} median {result.median_us:6.1f} us, p99 {result.p99_us:6.1f} us  "
          f"({result.placement})")

# %% [markdown]
# Which placement wins depends on the CPU and the scheduler; a ratio of two or more,
# either way, is common. So a benchmark must say where its processes ran. A p99 far above
# its median is the histogram's thin tail: a few trips waited for a CPU to wake up or for
# another program.
#
# ## Throughput
#
# How many bytes a second can one connection carry over loopback? That is its
# [throughput](glossary.md#round-trip). The plain calls: a child process reads and
# discards (`measure.sink_process()`), and this process times 2,000 `sendall` calls.

# %%
data = b"x" * 65536                                  # 64 KiB a write
with measure.sink_process() as sink, sink.receiver(len(data)), \
        socket.create_connection(sink.server.address) as client:
    start = time.perf_counter()
    for _ in range(2000):
        client.sendall(data)
    seconds = time.perf_counter() - start
print(f"{2000 * len(data) * 8 / seconds / 1e9:.1f} Gbit/s with 64 KiB writes")

# %% [markdown]
# One run says little. `measure.buffer_sweep()` runs eight buffer sizes, five 0.1 s runs
# each, in rounds. The figure draws each size's median run; its table has the numbers.

# %%
# 🔮 Your prediction: with 1 KiB per write instead of 128 KiB, what fraction of the
# throughput is left? (a number between 0 and 1; right within a factor of 2)
prediction = ...
### BEGIN SOLUTION
prediction = 0.9  # an example prediction
### END SOLUTION
predict("07.small-writes", prediction, tolerance=within(factor=2))

# %%
import psutil

sweep = measure.buffer_sweep()
lo = psutil.net_if_stats().get("lo") or psutil.net_if_stats().get("lo0")   # Linux, macOS
print("lo's MTU here:", f"{lo.mtu} bytes" if lo else "unknown")
display(plots.throughput_by_buffer(sweep))
median = {p.buffer_size: p.median_gbit_per_s for p in measure.sweep_points(sweep)}
reveal("07.small-writes", round(median[1024] / median[131072], 2))

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "each write is a system call, and 1 KiB writes make 128 times more of them"
### END SOLUTION
explain("07.small-writes", explanation)

# %% [markdown]
# The table's "µs per write" column is the cost of one `send()`. It barely grows for small
# buffers, so throughput climbs with the buffer until copying the bytes dominates. Then
# the curve flattens, and may dip.
#
# How to read it on a small virtual machine: the dots are single runs, the bars their
# spread. Other tenants, the scheduler and the CPU caches make one 0.1 s run differ from
# the next, sometimes by half. A dip between two sizes whose bars overlap is noise: run
# the cell again and it moves. The steep climb at small sizes stays.
#
# Why is loopback so fast? The loopback device is not a wire, and it skips a wire's work
# (`drivers/net/loopback.c`):
#
# - **Big packets.** Its MTU is 64 KiB, so a 128 KiB write crosses it in a few packets.
# - **No checksums.** TCP over `lo` computes none: no bit can flip on the way.
#
# ## 💥 Break it on purpose: two small writes
#
# A client writes a small header, then a small body, then waits for the reply. It is the
# "write, write, read" pattern, and many protocols do it:
#
# ```python
# client.sendall(header)   # write
# client.sendall(body)     # write
# reply = client.recv(64)  # read
# ```
#
# Below, the plain calls time such requests over loopback, first as they are, then
# with one socket option set, then sent in one write.

# %%
# 🔮 Your prediction: the median time of one write-write-read request, in milliseconds?
# (right within a factor of 2)
prediction = ...
### BEGIN SOLUTION
prediction = 0.05  # an example prediction: "loopback is fast"
### END SOLUTION
predict("07.nagle-stall", prediction, tolerance=within(factor=2))

# %%
def two_writes(sock, header, body):
    sock.sendall(header)                      # write
    sock.sendall(body)                        # write
    return sock.recv(64)                      # read


def two_writes_nodelay(sock, header, body):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return two_writes(sock, header, body)


def one_write(sock, header, body):
    sock.sendall(header + body)
    return sock.recv(64)


# measure.time_client: a server, 3 untimed requests, then 5 timed, on one connection
took = {ask.__name__: measure.time_client(ask).median_ms
        for ask in (two_writes, two_writes_nodelay, one_write)}
for name, ms in took.items():
    print(f"{name:<19} median {ms:7.2f} ms")
reveal("07.nagle-stall", round(took["two_writes"], 1))

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "The body waits for an ACK that the server delays"  # an example
### END SOLUTION
explain("07.nagle-stall", explanation)

# %% [markdown]
# TCP has two habits that save packets ([Nagle and delayed ACK](glossary.md#nagle)).
# The client's kernel holds a small segment back while earlier data is unacknowledged
# (RFC 896). The server's kernel waits a little before it acknowledges, hoping to send
# the ACK with data (RFC 1122 §4.2.3.2). Here they wait for each other, 40 ms on Linux.
#
# The fixes are the other two lines. `TCP_NODELAY` on the client turns Nagle off, so the
# body leaves at once (tcp(7)). Or send header and body in **one** write: no second
# small segment is left to hold back. That is why the round-trip cell needed no
# `TCP_NODELAY`: one write per round trip leaves nothing unacknowledged. On Windows the
# delayed-ACK timer is 200 ms by default: the stall is longer there, not gone.
#
# ## Your turn
#
# [The exercises](../exercises/07-measuring-loopback-exercises.ipynb): a refused
# connection on lo, a histogram, why numbers differ, the stall, and your own client
# without it.
#
# ## Key points
#
# - Loopback traffic is real TCP/IP: a capture on `lo` shows the handshake, the data,
#   the ACKs and the FINs. Only the wire is missing.
# - Report round trips as a median and a tail percentile, with the CPU placement. Repeat
#   throughput runs and read the median and the spread.
# - A Unix-domain socket skips IP and TCP. Bigger writes mean fewer system calls per
#   byte. The loopback device has a 64 KiB MTU and computes no checksums.
# - Write-write-read over TCP can stall for the delayed-ACK timer: set `TCP_NODELAY` or
#   send the request in one write.
#
# ## Going further
#
# **How faithful are these numbers?** Python adds its own cost to every call. The
# course's benchmark `tests/benchmarks/bench_vs_tools.py`, in the course repository
# (not in an installed copy), measures, in one run and with
# the same CPU placement, `measure.throughput()` against iperf3 and `measure.rtt()`
# against sockperf, two C tools made for this. From a clone of the repository, run it on
# your machine to see how close the course gets.
#
# **Checksum offload and one counter.** `lo` offers checksum offload
# (`NETIF_F_HW_CSUM`), which is why TCP computes no checksum over it. It also keeps one
# counter per packet and reports it as both sent and received (`loopback_get_stats64`),
# so each packet is counted once each way.
#
# **Reading the capture's numbers.** `seq` and `ack` count bytes from each side's first
# sequence number (RFC 9293 §3.4), and `len` is the bytes a packet carries. The times
# are the kernel's receive stamps, in microseconds from the first packet. The response
# says HTTP/1.0: Python's `http.server` answers in HTTP/1.0 whatever version the client
# asked for.
#
# **Segmentation offload.** `lo` offers GSO and TSO (`loopback_setup`): TCP hands it
# segments of up to 64 KiB and nothing splits them. A capture on `lo` during a bulk
# transfer shows such segments.
#
# ## Sources
#
# - Linux manual pages: `packet(7)` (AF_PACKET, CAP_NET_RAW), `tcp(7)` (TCP_NODELAY,
#   TCP_QUICKACK), `unix(7)`, `sched_setaffinity(2)`, `network_namespaces(7)`,
#   `user_namespaces(7)`.
# - RFC 9293 §3.4 and §3.5 (sequence numbers, the three-way handshake), RFC 896
#   (Nagle's algorithm), RFC 1122 §4.2.3.2 (delayed ACK).
# - Linux kernel source: `include/net/tcp.h` (`TCP_DELACK_MIN`, HZ/25 = 40 ms);
#   `drivers/net/loopback.c` (`loopback_setup`: MTU 64 KiB, GSO/TSO, `NETIF_F_HW_CSUM`;
#   `loopback_get_stats64`: one counter reported as both rx and tx).
# - Microsoft KB 328890 (TcpAckFrequency, TcpDelAckTicks: Windows' delayed-ACK timer,
#   200 ms by default).
# - iperf3 (ESnet) and sockperf (Mellanox/NVIDIA) documentation, for the benchmark.
