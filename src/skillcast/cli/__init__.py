"""The ``skillcast`` command: one module per command group, ``main`` assembles them and
``entry`` starts them (``skillcast serve`` without importing the others)."""
