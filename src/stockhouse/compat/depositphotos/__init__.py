"""The Depositphotos Enterprise API (seed 001), wire-compatible, on the shared core.

`wire` holds the parameters, the error catalogue and the command table; `endpoint` the HTTP
side; one module per part of the document registers its commands, in the document's order:
`sessions` (login, logout, renewSession), `groups` (group and user data), `search`,
`media` (getMediaData), `licensing` (licenses, licenseItem, licensed items, complimentary
downloads), `transfers`, `invoices`, `generator` (imageGenerator.*).
"""

from stockhouse.compat.depositphotos import (  # noqa: F401  (importing registers the commands)
    generator,
    groups,
    invoices,
    licensing,
    media,
    search,
    sessions,
    transfers,
)
from stockhouse.compat.depositphotos.endpoint import depositphotos_routes

__all__ = ["depositphotos_routes"]
