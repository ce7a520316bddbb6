"""The letter service: imrgen over HTTP for a case management system (`imrgen serve`).

app.py: the endpoints; workers.py: the warm worker processes; jobs.py: the work each does;
auth.py: the bearer tokens; metrics.py: Prometheus. Needs the `service` extra:
pip install 'imrgen[service]'."""

from __future__ import annotations

from .app import ServiceConfig, create_app
from .auth import check_access, load_tokens

__all__ = ["ServiceConfig", "check_access", "create_app", "load_tokens", "serve"]


def serve(host: str, port: int, config: ServiceConfig, log_level: str = "info") -> None:
    """Run the service until it is stopped (SIGINT or SIGTERM); refuse an open address
    without a token."""
    import uvicorn

    check_access(host, list(config.tokens))
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host=host,
            port=port,
            access_log=False,  # the service logs each request itself, without its query
            log_config=None,
            log_level=log_level,
            server_header=False,
            lifespan="on",
        )
    )
    server.run()
