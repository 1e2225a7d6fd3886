"""The ``kapaudit`` command line."""
