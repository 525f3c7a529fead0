"""Test helpers shared across test folders (the real RTSP server, ...)."""
