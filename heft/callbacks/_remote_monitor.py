"""``RemoteMonitor``: POST each epoch's logs to a server, as JSON."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any

import numpy as np

from ._callback import Callback


class RemoteMonitor(Callback):
    """At the end of every epoch, POST ``{"epoch": i, <metric>: value, ...}`` to a URL.

    The request goes to ``root + path`` with the standard library
    (``urllib``). With ``send_as_json`` the body is the JSON object itself
    (``Content-Type: application/json``); otherwise it is a form with one
    field, ``field``, holding the JSON text. A server that cannot be reached,
    or answers with an error, gives a warning and training goes on.

    Args:
        root: Scheme, host and port of the server.
        path: Path of the endpoint on the server.
        field: Form field of the JSON text (when not ``send_as_json``).
        headers: Extra HTTP headers.
        send_as_json: Send the JSON object as the request body.
        timeout: Seconds to wait for the server.
    """

    chunk_safe = True

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: dict[str, str] | None = None,
        send_as_json: bool = False,
        timeout: float = 10.0,
    ) -> None:
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        send: dict[str, Any] = {"epoch": epoch}
        for key, value in (logs or {}).items():
            if isinstance(value, np.ndarray | np.generic) or hasattr(value, "item"):
                send[key] = np.asarray(value).item()
            else:
                send[key] = value
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("ascii")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(
            self.root + self.path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as err:
            warnings.warn(
                f"Could not reach RemoteMonitor root server at {self.root} ({err}).",
                stacklevel=2,
            )
