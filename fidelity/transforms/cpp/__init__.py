"""C++: ``profile``, ``scope`` (the identifier analyzer), ``operators`` (type-gated operator rewrites:
an identifier may be a class with overloaded operators) and ``transforms`` (the table)."""
