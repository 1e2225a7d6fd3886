"""What runs with no database and no broker: the export bundle's format and its verifier.

Pure code only (the standard library, ``cryptography`` and ``services.chain``'s chain,
Merkle and note functions), so that a regulator's machine needs nothing but the
installed package; an import-linter contract keeps it that way.
"""
