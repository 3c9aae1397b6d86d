"""nginx in front of a live Daphne, configured by docs/deploy.md's own block.

Shared by tests/dmsite/test_behind_nginx.py and bench/body_limit.py: the config is the
fenced ```nginx block of docs/deploy.md, inside a minimal nginx.conf on free ports, so
what the deploy guide says is what is tested and measured.
"""

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.processes import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEPLOY_DOC = PROJECT_ROOT / "docs" / "deploy.md"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )


def deploy_doc_block() -> str:
    """The nginx directives docs/deploy.md tells production to use."""
    blocks = re.findall(r"```nginx\n(.*?)```", DEPLOY_DOC.read_text(), re.S)
    assert len(blocks) == 1, "docs/deploy.md has exactly one nginx block"
    return blocks[0]


@dataclass
class Nginx:
    process: subprocess.Popen
    port: int
    folder: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_nginx(upstream_port: int, folder: Path) -> Nginx:
    """nginx on a free loopback port, in front of the Daphne on `upstream_port`."""
    binary = nginx_binary()
    assert binary, "nginx is not installed"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    # As root, nginx's workers would run as nobody, who cannot write the test's folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    config = f"""{user}worker_processes 1;
error_log {folder}/error.log warn;
pid {folder}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    upstream dmsite {{ server 127.0.0.1:{upstream_port}; }}
    server {{
        listen 127.0.0.1:{port};
{deploy_doc_block()}
    }}
}}
"""
    (folder / "nginx.conf").write_text(config)
    process = subprocess.Popen(  # noqa: S603 - Debian's nginx, our own config
        [binary, "-p", folder, "-c", folder / "nginx.conf", "-e", "stderr", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "stderr.log", "wb"),  # noqa: SIM115 - nginx keeps it
    )
    server = Nginx(process, port, folder)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {(folder / 'stderr.log').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("nginx did not listen")


MULTIPART_BOUNDARY = "dmsite-body-limit"
CHUNK = 256 * 1024


def multipart_upload(file_size: int) -> tuple[bytes, bytes, int]:
    """(head, tail, total length) of a multipart body around `file_size` bytes of file."""
    head = (
        f"--{MULTIPART_BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    tail = f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()
    return head, tail, len(head) + file_size + len(tail)


def post_upload(
    port: int, path: str, file_size: int, *, token: str, chunked: bool = False
) -> tuple[int, bytes]:
    """POST a multipart upload of `file_size` bytes of file, streamed (never held whole)."""
    head, tail, total = multipart_upload(file_size)

    def pieces():
        yield head
        block = b"\xff" * CHUNK
        left = file_size
        while left > 0:
            yield block[: min(CHUNK, left)]
            left -= CHUNK
        yield tail

    content_type = f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"
    length = None if chunked else total
    return post_body(port, path, pieces(), token=token, content_type=content_type, length=length)


def post_body(
    port: int, path: str, pieces, *, token: str, content_type: str, length: int | None
) -> tuple[int, bytes]:
    """POST the body `pieces` make: with `length` as Content-Length, else chunked.

    The answer is read by a thread while the body is still being sent, as a server that
    answers early (413) may stop reading and close.
    """
    framing = "Transfer-Encoding: chunked" if length is None else f"Content-Length: {length}"
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Token {token}\r\nContent-Type: {content_type}\r\n"
        f"{framing}\r\nConnection: close\r\n\r\n"
    ).encode()
    connection = socket.create_connection(("127.0.0.1", port), timeout=60)
    answer = bytearray()

    def read() -> None:
        try:
            while data := connection.recv(65536):
                answer.extend(data)
        except OSError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        connection.sendall(request)
        for piece in pieces:
            connection.sendall(
                piece if length is not None else b"%x\r\n%s\r\n" % (len(piece), piece)
            )
        if length is None:
            connection.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed before the end: the answer is read below
    reader.join(timeout=60)
    connection.close()
    return parse_response(bytes(answer))


def parse_response(raw: bytes) -> tuple[int, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if re.search(rb"^transfer-encoding:\s*chunked", head, re.I | re.M):
        decoded, rest = bytearray(), body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            decoded += rest[:size]
            rest = rest[size + 2 :]
        body = bytes(decoded)
    return status, body
