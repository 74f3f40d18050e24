"""Conflict rules: rule packs, the engine that runs them on any backend, explanations and reports."""
