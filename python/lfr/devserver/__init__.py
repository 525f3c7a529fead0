"""Development servers that stand in for real cameras: a GStreamer RTSP server on loopback,
used by the tests and by `lfr demo`. Nothing here runs in production."""
