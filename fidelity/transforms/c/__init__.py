"""C: ``profile``, ``scope`` (the identifier analyzer, macro-aware) and ``transforms`` (the table).
C's rewrites are the shared C-family ones."""
