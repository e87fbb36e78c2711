"""Plugin entry point (kervan.plugins). ubltr registers no connector; it is a library for integrator plugins."""
