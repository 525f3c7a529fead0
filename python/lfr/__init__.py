"""lfr: live facial recognition against a bespoke watchlist, with a human in the loop.

Importing the package has no side effects: no models are loaded, no files are touched.
"""

__version__ = "0.1.0"
