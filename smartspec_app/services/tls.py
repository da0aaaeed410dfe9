"""One TLS context for the app's outgoing HTTP clients.

httpx builds a new `SSLContext` (loading the whole CA bundle) for every client it creates, which
costs tens of milliseconds of CPU, and the worker creates a client for every kie.ai call and every
download: with hundreds of tasks in flight that was most of the worker's CPU (README, Performance).
A context is safe to share between threads and clients; this one verifies exactly as httpx's
default does (its own `create_ssl_context`, so SSL_CERT_FILE / SSL_CERT_DIR still apply).
"""

from __future__ import annotations

import ssl
from functools import lru_cache

import httpx


@lru_cache(maxsize=1)
def client_tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()
