"""pytest fixtures that simulate Orquestra's local, Studio and CE environments and fake its MLflow server."""
