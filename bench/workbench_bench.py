"""Upload to searchable: a 10-page scanned PDF (300 dpi, rendered from corpus sentences)
uploaded through the archivists' API (``POST /api/ingest``) to a running ``bantin serve``,
timed until a search finds it, against ``bantin ingest`` of the same file into an archive
of its own. Both ingest with the CPU count of page workers; the ratio is what the queue,
the upload and the server cost on top of the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from archive import Archive
from bantin.accounts import Accounts
from bantin.samples import render_page, save_image_pdf
from bantin.state import State
from bench.corpus import ATTRIBUTION, pages_of, sentences
from bench.web_bench import serve

PAGES = 10
DPI = 300


def _request(url: str, token: str, data: bytes | None = None, content_type: str = "") -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    with urllib.request.urlopen(urllib.request.Request(url, data, headers)) as answer:  # noqa: S310 (loopback)
        return dict(json.loads(answer.read()))


def _multipart(path: Path) -> tuple[bytes, str]:
    boundary = "bantin-bench-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode()
    body = head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def main() -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="bantin-bench-workbench-"))
    pages = [render_page(paras, dpi=DPI, noise=0.3, seed=n)
             for n, paras in enumerate(pages_of(sentences()[:PAGES * 14], 14))][:PAGES]
    scan = save_image_pdf(pages, work / "ban-tin-so-10-2024.pdf", DPI)
    bantin = str(Path(sys.executable).parent / "bantin")
    print(f"workbench benchmark: a {PAGES}-page scanned PDF at {DPI} dpi ({ATTRIBUTION})")

    started = time.perf_counter()
    subprocess.run([bantin, "ingest", str(scan), "--archive", str(work / "cli")], check=True,
                   capture_output=True)
    cli = time.perf_counter() - started

    archive = work / "web"
    Archive.open(archive, create=True)
    subprocess.run([bantin, "user", "add", "bench", "--role", "archivist", "--archive", str(archive)],
                   input="bench-password\n", text=True, check=True, capture_output=True)
    _, secret = Accounts.of(State.open(archive)).new_token("bench")
    server, port = serve(archive, workers=1)
    base = f"http://127.0.0.1:{port}"
    try:
        body, content_type = _multipart(scan)
        started = time.perf_counter()
        job = _request(base + "/api/ingest", secret, body, content_type)["job"]
        query = "+".join(sentences()[0].split()[:3])
        while True:
            state = _request(f"{base}/api/jobs/{job}", secret)
            if state["state"] in ("done", "failed"):
                found = _request(f"{base}/api/search?q={urllib.parse.quote(query)}", secret)
                if found["total"] or state["state"] == "failed":
                    break
            time.sleep(0.2)
        web = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"  bantin ingest (CLI):                 {cli:6.1f} s")
    print(f"  upload to searchable (API + queue):  {web:6.1f} s  ({web / cli:.2f}x the CLI; "
          f"job {state['state']})")
    return {"cli_s": cli, "upload_s": web, "ratio": web / cli}


if __name__ == "__main__":
    main()
