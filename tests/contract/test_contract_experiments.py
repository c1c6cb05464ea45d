"""Contract scenarios: experiments (create, get, search, rename, delete, restore, tags)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def scenario_create_and_get_experiment(ctx: Any) -> Any:
    exp_id = ctx.client.create_experiment(ctx.name("a"), tags={"team": "q", "empty": ""})
    return {
        "id_is_str": isinstance(exp_id, str),
        "id_is_digits": exp_id.isdigit(),
        "by_id": ctx.experiment(ctx.client.get_experiment(exp_id)),
        "by_name": ctx.experiment(ctx.client.get_experiment_by_name(ctx.name("a"))),
    }


def scenario_default_experiment(ctx: Any) -> Any:
    by_id = ctx.client.get_experiment("0")
    by_name = ctx.client.get_experiment_by_name("Default")
    return {
        "by_id": {k: v for k, v in ctx.experiment(by_id).items() if k != "tags"},
        "by_name_id": by_name.experiment_id,
    }


def scenario_get_missing_experiment(ctx: Any) -> Any:
    return {
        "get_by_name": ctx.client.get_experiment_by_name(ctx.name("never-created")),
        "get_unknown_id": ctx.error(ctx.client.get_experiment, "987654321"),
        "get_non_numeric_id": ctx.error(ctx.client.get_experiment, "not-a-number"),
        "delete_unknown": ctx.error(ctx.client.delete_experiment, "987654321"),
        "restore_unknown": ctx.error(ctx.client.restore_experiment, "987654321"),
        "rename_unknown": ctx.error(ctx.client.rename_experiment, "987654321", ctx.name("x")),
        "tag_unknown": ctx.error(ctx.client.set_experiment_tag, "987654321", "k", "v"),
    }


def scenario_duplicate_experiment_name(ctx: Any) -> Any:
    ctx.new_experiment("dup")
    other = ctx.new_experiment("other")
    return {
        "create_again": ctx.error(
            ctx.client.create_experiment,
            ctx.name("dup"),
            # the rest of the real message quotes SQL and timestamps
            message=lambda m: m.split(" Error:")[0],
        ),
        "rename_onto_existing": ctx.error(ctx.client.rename_experiment, other, ctx.name("dup")),
        "empty_name": ctx.error(ctx.client.create_experiment, ""),
    }


def scenario_rename_experiment(ctx: Any) -> Any:
    exp_id = ctx.new_experiment("before")
    ctx.client.rename_experiment(exp_id, ctx.name("after"))
    return {
        "after": ctx.experiment(ctx.client.get_experiment(exp_id)),
        "old_name": ctx.client.get_experiment_by_name(ctx.name("before")),
        "new_name_id_matches": (
            ctx.client.get_experiment_by_name(ctx.name("after")).experiment_id == exp_id
        ),
    }


def scenario_experiment_tags(ctx: Any) -> Any:
    exp_id = ctx.new_experiment("tags", tags={"a": "1"})
    ctx.client.set_experiment_tag(exp_id, "b", "two")
    ctx.client.set_experiment_tag(exp_id, "a", "overwritten")
    ctx.client.set_experiment_tag(exp_id, "num", 3)
    after_set = dict(sorted(ctx.client.get_experiment(exp_id).tags.items()))
    ctx.client.delete_experiment_tag(exp_id, "b")
    return {
        "after_set": after_set,
        "after_delete": dict(sorted(ctx.client.get_experiment(exp_id).tags.items())),
        "delete_missing": ctx.error(ctx.client.delete_experiment_tag, exp_id, "nope"),
    }


def scenario_delete_and_restore_experiment(ctx: Any) -> Any:
    from mlflow.entities import ViewType

    keep = ctx.new_experiment("keep")
    gone = ctx.new_experiment("gone")
    ctx.client.delete_experiment(gone)
    like = f"name LIKE '{ctx.prefix}%'"

    def names(view: int) -> list[str]:
        exps = ctx.client.search_experiments(view_type=view, filter_string=like, order_by=["name"])
        return [e.name for e in exps]

    deleted = {
        "gone": ctx.experiment(ctx.client.get_experiment(gone)),
        "by_name": ctx.experiment(ctx.client.get_experiment_by_name(ctx.name("gone"))),
        "active": names(ViewType.ACTIVE_ONLY),
        "deleted": names(ViewType.DELETED_ONLY),
        "all": names(ViewType.ALL),
        "delete_again": ctx.error(ctx.client.delete_experiment, gone),
        "create_run_in_deleted": ctx.error(ctx.client.create_run, gone),
        "create_same_name": ctx.error(ctx.client.create_experiment, ctx.name("gone")),
    }
    ctx.client.restore_experiment(gone)
    restored = {
        "gone": ctx.experiment(ctx.client.get_experiment(gone)),
        "active": names(ViewType.ACTIVE_ONLY),
        "deleted": names(ViewType.DELETED_ONLY),
        "restore_active": ctx.error(ctx.client.restore_experiment, keep),
    }
    return {"deleted": deleted, "restored": restored}


def scenario_delete_experiment_deletes_its_runs(ctx: Any) -> Any:
    from mlflow.entities import ViewType

    exp_id = ctx.new_experiment("with-runs")
    run = ctx.client.create_run(exp_id, run_name="inside")
    ctx.client.delete_experiment(exp_id)
    during = {
        "run": ctx.get_run(run.info.run_id)["info"],
        "search_active": ctx.search_runs([exp_id], run_view_type=ViewType.ACTIVE_ONLY),
        "search_all": ctx.search_runs([exp_id], run_view_type=ViewType.ALL),
        "log_param": ctx.error(ctx.client.log_param, run.info.run_id, "p", "v"),
    }
    ctx.client.restore_experiment(exp_id)
    return {"during": during, "after_restore": ctx.get_run(run.info.run_id)["info"]}


def scenario_search_experiments(ctx: Any) -> Any:
    for label, tags in [
        ("alpha", {"kind": "x", "n": "1"}),
        ("beta", {"kind": "y"}),
        ("gamma", {"kind": "x", "n": "2"}),
        ("delta", {}),
        ("epsilon", {"kind": "x"}),
    ]:
        ctx.new_experiment(label, tags=tags)
        time.sleep(0.003)  # distinct creation times, for the creation_time ordering
    like = f"name LIKE '{ctx.prefix}%'"

    def names(**kwargs: Any) -> list[str]:
        return [e.name for e in ctx.client.search_experiments(**kwargs)]

    pages = []
    token = None
    while True:
        page = ctx.client.search_experiments(
            filter_string=like, order_by=["name DESC"], max_results=2, page_token=token
        )
        pages.append([e.name for e in page])
        token = page.token
        if not token:
            break
    return {
        "by_name_asc": names(filter_string=like, order_by=["name ASC"]),
        "tag_equals": names(filter_string=f"{like} AND tags.kind = 'x'", order_by=["name"]),
        "tag_not_equals": names(filter_string=f"{like} AND tags.kind != 'x'", order_by=["name"]),
        "tag_like": names(filter_string=f"{like} AND tags.n LIKE '%'", order_by=["name"]),
        "name_equals": names(filter_string=f"name = '{ctx.name('beta')}'"),
        "name_ilike": names(
            filter_string=f"name ILIKE '{ctx.prefix.upper()}%A'", order_by=["name"]
        ),
        "newest_first": names(filter_string=like, order_by=["creation_time DESC"]),
        "pages": pages,
        "max_results_1": names(filter_string=like, order_by=["name"], max_results=1),
    }


def scenario_search_experiments_errors(ctx: Any) -> Any:
    return {
        "bad_filter": ctx.error(ctx.client.search_experiments, filter_string="name ~~ 'x'"),
        "unknown_attribute": ctx.error(
            ctx.client.search_experiments, filter_string="attribute.bogus = 'x'"
        ),
        "bad_order_by": ctx.error(ctx.client.search_experiments, order_by=["bogus_column"]),
        "too_many_results": ctx.error(ctx.client.search_experiments, max_results=50001),
    }


def scenario_custom_artifact_location(ctx: Any) -> Any:
    """An experiment created with its own ``mlflow-artifacts:`` location still proxies."""
    exp_id = ctx.client.create_experiment(
        ctx.name("custom"), artifact_location=f"mlflow-artifacts:/custom-{ctx.token}"
    )
    run_id = ctx.client.create_run(exp_id).info.run_id
    ctx.client.log_text(run_id, "hi", "dir/hello.txt")
    local = ctx.client.download_artifacts(run_id, "dir/hello.txt", str(ctx.tmp / "dl"))
    return {
        "experiment": ctx.experiment(ctx.client.get_experiment(exp_id)),
        "artifact_uri": ctx.client.get_run(run_id).info.artifact_uri,
        "tree": ctx.artifact_tree(run_id),
        "content": Path(local).read_bytes(),
    }


def test_scenario(contract: Any, scenario: Any) -> None:
    contract.check(scenario)
