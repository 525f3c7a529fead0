"""Command-line entry points: `lfr` (admin) and `lfr-run` (the daemon)."""
