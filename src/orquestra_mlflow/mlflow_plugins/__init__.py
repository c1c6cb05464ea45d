"""Plugins that MLflow loads through entry points.

* ``mlflow.request_auth_provider`` ``orquestra``
  (:class:`~orquestra_mlflow.mlflow_plugins.auth.OrquestraRequestAuthProvider`):
  selected with ``MLFLOW_TRACKING_AUTH=orquestra``; sends the current Orquestra
  token with every request.
* ``mlflow.run_context_provider`` ``orquestra``
  (:class:`~orquestra_mlflow.mlflow_plugins.context.OrquestraRunContextProvider`):
  tags new runs with the user, workspace, project and cluster, on Orquestra or
  inside :func:`orquestra_mlflow.tracking`.

MLflow imports the run context provider during ``import mlflow``, so these
modules import only what MLflow has already loaded; everything else is
imported when a method runs.
"""
