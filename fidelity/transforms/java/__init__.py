"""Java: ``profile`` (what the shared code needs to know), ``scope`` (the identifier analyzer) and
``transforms`` (the table of transforms Java offers). Java's rewrites are the shared C-family ones."""
