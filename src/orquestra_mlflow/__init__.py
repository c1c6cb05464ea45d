"""Connect MLflow to the Orquestra workspace's tracking server."""

__version__ = "0.1.0"
