"""Scraping tools in the image: requests + BeautifulSoup + lxml, and headless Chromium for JavaScript pages.

The pages are served from inside the container on loopback; the behaviour test
(images/variants/web-scraping/behaviour) scrapes a server on a Docker network.
"""

import os
import shlex
import subprocess
import tempfile
import threading
import unittest
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATIC = "<html><body><ul id='items'><li class='item'>alpha</li><li class='item'>beta</li></ul></body></html>"
SCRIPTED = "<html><body><div id='out'>waiting</div><script>document.getElementById('out').textContent = 'written by ' + 'javascript';</script></body></html>"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_args) -> None:
        pass


class WebScrapingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.root = Path(tempfile.mkdtemp())
        (cls.root / "static.html").write_text(STATIC)
        (cls.root / "scripted.html").write_text(SCRIPTED)
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(cls.root)))
        cls.base = f"http://127.0.0.1:{cls.server.server_address[1]}"
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.shutdown()

    def test_requests_and_beautifulsoup_extract_items(self) -> None:
        import requests
        from bs4 import BeautifulSoup

        html = requests.get(f"{self.base}/static.html", timeout=5).text
        soup = BeautifulSoup(html, "lxml")
        self.assertEqual([li.text for li in soup.select("#items .item")], ["alpha", "beta"])

    def test_headless_chromium_renders_javascript(self) -> None:
        flags = shlex.split(os.environ["CHROMIUM_FLAGS"])
        profile = tempfile.mkdtemp()
        result = subprocess.run(
            ["chromium", *flags, f"--user-data-dir={profile}", "--dump-dom", f"{self.base}/scripted.html"],
            capture_output=True,
            text=True,
            timeout=90,
        )
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        self.assertIn("written by javascript", result.stdout)


if __name__ == "__main__":
    unittest.main()
