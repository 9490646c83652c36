"""Writes of the imports app. The one entry point is `import_run_execute`."""

from arrears.imports.services.run import ImportOutcome, import_result_json, import_run_execute

__all__ = ["ImportOutcome", "import_result_json", "import_run_execute"]
