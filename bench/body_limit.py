"""Daphne's memory for an oversized body, bare and behind nginx: `python bench/body_limit.py`.

Starts its own Daphne on a throwaway SQLite database and Debian's nginx in front of it,
configured with docs/deploy.md's block (tests/proxy.py), then for each body size sends
one upload (`POST /api/v1/attachments`, streamed, with Content-Length, and once
chunked) through nginx and once straight to Daphne, a fresh Daphne for each, and
reports how far the upload raised Daphne's peak resident memory (VmHWM).

Figures go to stdout as a Markdown table; bench/README.md keeps the last ones.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DAPHNE = Path(sys.executable).with_name("daphne")

from throwaway import throwaway_site  # noqa: E402

from tests.processes import free_port, peak_rss_kib  # noqa: E402
from tests.proxy import nginx_binary, post_upload, start_nginx  # noqa: E402

MIB = 2**20
MEDIA_MAX_BYTES = 26214400


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes-mib", type=float, nargs="*", default=[100], help="more sizes past the limit"
    )
    args = parser.parse_args()
    if nginx_binary() is None:
        print("nginx is not installed (apt-get install nginx)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="dmsite-body-bench-") as folder:
        env, token = throwaway_site(folder)
        env["LOG_LEVEL"] = "WARNING"

        def measure(file_size: int, *, proxied: bool, chunked: bool) -> tuple[int, int]:
            """(status, KiB the upload added to a fresh Daphne's peak memory)."""
            port = free_port()
            daphne = subprocess.Popen(  # noqa: S603
                [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "dmsite.asgi:application"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            nginx = start_nginx(port, Path(folder) / f"nginx-{port}")
            try:
                target = nginx.port if proxied else port
                for _ in range(300):  # Daphne listening, and warmed up by one small upload
                    try:
                        warm, _ = post_upload(target, "/api/v1/attachments", 100, token=token)
                    except (OSError, IndexError, ValueError):
                        warm = None
                    if warm == 400:  # 100 bytes of 0xff: `unsupported_media` (nginx: 502)
                        break
                    time.sleep(0.1)
                before = peak_rss_kib(daphne.pid)
                status, _ = post_upload(
                    target, "/api/v1/attachments", file_size, token=token, chunked=chunked
                )
                time.sleep(0.5)
                return status, peak_rss_kib(daphne.pid) - before
            finally:
                nginx.stop()
                daphne.terminate()
                daphne.wait(timeout=10)

        print("| file sent | path | status | Daphne's peak memory grew by |")
        print("|---|---|---|---|")
        cases = [
            # Within every limit: nginx passes it on, Daphne holds it (not an image: 400).
            ("MEDIA_MAX_BYTES - 64 KiB", MEDIA_MAX_BYTES - 64 * 1024, [(True, False)]),
            ("MEDIA_MAX_BYTES + 1", MEDIA_MAX_BYTES + 1, None),
            *((f"{mib:g} MiB", int(mib * MIB), None) for mib in args.sizes_mib),
        ]
        for label, size, paths in cases:
            for proxied, chunked in paths or [(False, False), (True, False), (True, True)]:
                status, grew = measure(size, proxied=proxied, chunked=chunked)
                path = "straight to Daphne" if not proxied else "through nginx"
                path += " (chunked)" if chunked else " (Content-Length)" if proxied else ""
                print(f"| {label} | {path} | {status} | {grew / 1024:+.1f} MiB ({grew:+} KiB) |")
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
