"""The server's one ASGI app: the terminal API, ``/healthz`` and ``/metrics`` (the console is
mounted here too)."""
