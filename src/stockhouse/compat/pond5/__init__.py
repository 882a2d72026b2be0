"""The Pond5 API (seed 003), wire-compatible, on the shared core.

`wire` holds the arguments, the numeric error codes and the command table; `endpoint` the
envelope (JSON or XML in the form field `api`, the commands hash, batching, cx/cm); one
module per part of the document registers its commands: `accounts` (login, logout,
userinfo, billing addresses), `bins`, `cart` (cart, totals, promo codes, exchange ratios),
`purchases` (purchase_using_*, download, get_downloads_formatted), `clips` (search,
get_clip_data*, categories, get_versions_formatted); `media` serves the documented
icon/preview file names.
"""

from stockhouse.compat.pond5 import (  # noqa: F401  (importing registers the commands)
    accounts,
    bins,
    cart,
    clips,
    purchases,
)
from stockhouse.compat.pond5.endpoint import pond5_routes

__all__ = ["pond5_routes"]
