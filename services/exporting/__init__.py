"""Export bundles for regulators (issue 8 §2): what the clinic hands over, and its proofs.

``docs/EXPORT-FORMAT.md`` is the format. The bundle's names and line encodings live in
``services.offline.bundle_format``, shared with the offline verifier.
"""
