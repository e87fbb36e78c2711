"""Kervan plugin SDK."""
