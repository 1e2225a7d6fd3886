"""The read side's JSON bodies: one pydantic class for each, which the API declares as
its ``response_model`` and the CLI's ``--json`` prints, so that both answer alike."""
