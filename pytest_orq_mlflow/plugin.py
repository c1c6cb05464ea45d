"""The ``orq_mlflow`` pytest plugin (registered under the ``pytest11`` entry point)."""
