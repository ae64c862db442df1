"""What an agent task would run: scrape the test's server, print what it found as JSON."""

import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile

import requests
from bs4 import BeautifulSoup

base, peer = sys.argv[1], sys.argv[2]
found = {}
static = BeautifulSoup(requests.get(f"{base}/static.html", timeout=10).text, "lxml")
found["static"] = [(li.text, int(li["data-price"])) for li in static.select("#items .item")]
dom = subprocess.run(
    ["chromium", *shlex.split(os.environ["CHROMIUM_FLAGS"]), f"--user-data-dir={tempfile.mkdtemp()}", "--dump-dom", f"{base}/scripted.html"],
    capture_output=True, text=True, timeout=120,
).stdout
found["scripted"] = [span.text for span in BeautifulSoup(dom, "lxml").select(".made-by-js")]
try:
    socket.create_connection((peer, 8080), timeout=3).close()
    found["peer"] = "reached"
except OSError as error:
    found["peer"] = f"unreachable ({type(error).__name__})"
print(json.dumps(found))
