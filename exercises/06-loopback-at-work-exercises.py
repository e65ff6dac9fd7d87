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
# # Exercises 06 · Loopback at work
#
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint.
# Answer before you look back at the lesson's outputs.

# %%
from loopedu.exercises import check, hint

# %% [markdown]
# ## 1. Who can the café Wi-Fi reach?
#
# On a laptop on a café Wi-Fi you start each of these with its default settings (no
# `--host`, no `bind` line changed, the configuration file the project ships). Which of
# them can another machine on the Wi-Fi connect to? Give a list.

# %%
from loopedu.exercises.lesson06 import DEFAULTS_SERVICES

print("\n".join(DEFAULTS_SERVICES))

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a list of the services above
### BEGIN SOLUTION
answer = ["python -m http.server", "mysql", "docker run -p 8080:80"]
### END SOLUTION
check("06.defaults", answer)

# %% [markdown]
# ## 2. A server on 127.0.0.1 inside a container
#
# Inside a container a web server listens on 127.0.0.1, port 80. The container was
# started with `docker run -p 127.0.0.1:8080:80`. What does each client get:
# `"connected"`, `"refused"` or `"reset"` (the connect succeeds, then the connection is
# closed at once)?

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "inside the container, to 127.0.0.1:80": None,
    "on the host, to the host's own 127.0.0.1:80": None,
    "on the host, to the container's address, port 80": None,
    "on the host, to 127.0.0.1:8080 (the published port)": None,
}
### BEGIN SOLUTION
answer = {
    "inside the container, to 127.0.0.1:80": "connected",
    "on the host, to the host's own 127.0.0.1:80": "refused",
    "on the host, to the container's address, port 80": "refused",
    "on the host, to 127.0.0.1:8080 (the published port)": "reset",
}
### END SOLUTION
check("06.container", answer)

# %% [markdown]
# ## 3. Tunnels
#
# On your laptop you run `ssh -L 5432:127.0.0.1:5432 db.example`, with the default
# settings of ssh and of the server's sshd. True or false?

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "the laptop listens on 127.0.0.1:5432": None,
    "another machine on the laptop's Wi-Fi can use the tunnel": None,
    "PostgreSQL on db.example must listen on a non-loopback address": None,
    "with ssh -R 8080:127.0.0.1:3000 db.example, db.example listens on its loopback only":
        None,
}
### BEGIN SOLUTION
answer = {
    "the laptop listens on 127.0.0.1:5432": True,
    "another machine on the laptop's Wi-Fi can use the tunnel": False,
    "PostgreSQL on db.example must listen on a non-loopback address": False,
    "with ssh -R 8080:127.0.0.1:3000 db.example, db.example listens on its loopback only":
        True,
}
### END SOLUTION
check("06.tunnel", answer)

# %% [markdown]
# ## 4. `local` and `host` rows
#
# A PostgreSQL server's `pg_hba.conf` holds these rows:
#
# ```
# local   all   learner                  trust
# host    all   learner   127.0.0.1/32   reject
# host    all   learner   ::1/128        reject
# ```
#
# For each command, is `learner` `"let in"` or `"refused"`? (`/the/socket/folder` is
# the folder that holds the server's Unix-domain socket.)

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "psql -U learner (no host)": None,
    "psql -U learner -h localhost": None,
    "psql -U learner -h 127.0.0.1": None,
    "psql -U learner -h /the/socket/folder": None,
}
### BEGIN SOLUTION
answer = {
    "psql -U learner (no host)": "let in",
    "psql -U learner -h localhost": "refused",
    "psql -U learner -h 127.0.0.1": "refused",
    "psql -U learner -h /the/socket/folder": "let in",
}
### END SOLUTION
check("06.pg-hba", answer)

# %% [markdown]
# ## 5. Pick the transport
#
# A web application and its PostgreSQL database run on the same host. Which transport
# should the application use (`"unix socket"`, `"tcp 127.0.0.1"` or `"tcp 0.0.0.0"`),
# and which reason is right (a letter)?

# %%
from loopedu.exercises.lesson06 import TRANSPORT_REASONS

for letter, reason in TRANSPORT_REASONS.items():
    print(f"({letter}) {reason}")

# %%
# NBVAL_CHECK_OUTPUT
answer = {"transport": None, "reason": None}
### BEGIN SOLUTION
answer = {"transport": "unix socket", "reason": "b"}
### END SOLUTION
check("06.pg-transport", answer)
