"""Rewrites shared by the C family (Java, C, C++), one module per family of transforms; each reads the
language's :class:`~fidelity.transforms.profile.CFamily` (node types, query fragments) instead of
branching on language names. Which language offers which rewrite is its own ``transforms`` table."""
