"""Regions in motion as video: detection (motion), VP8/VP9 encoding (encoder), the hybrid with
the lossless tiles (hybrid)."""
