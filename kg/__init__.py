"""kg: a knowledge graph of the AI industry's compute deals.

The library API lives in the stage modules (``kg.load``, ``kg.validate``,
``kg.summary``, ``kg.export`` ...); this package module stays import-free so
that ``kg --help`` is instant.
"""

__version__ = "0.1.0"
