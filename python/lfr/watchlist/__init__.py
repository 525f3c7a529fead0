"""Enrolment (photos -> templates behind a quality gate) and watchlist bundles."""
