"""How tests and benches start Debian's Chromium: headless, as root, on a machine with no internet.

Without the background-networking flags Chromium keeps trying to reach Google's hosts, and this
machine's closed network refuses each try.
"""

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
