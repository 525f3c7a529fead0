"""lfr: live facial recognition against a bespoke watchlist, with a human in the loop.

Importing the package has no side effects: no models are loaded, no files are touched.
"""

from lfr._native import __version__

__all__ = ["__version__"]
