"""Python: ``profile``, ``scope`` (LEGB analyzer) and its own rewrites (``operators``, ``conditionals``,
``loops``, ``layout``), listed in ``transforms`` (the table)."""
