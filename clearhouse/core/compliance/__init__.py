"""Compliance controls that run inside the engine: pure, deterministic, no I/O."""
