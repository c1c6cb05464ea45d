"""Contract scenarios: proxied artifacts (list, upload, download, delete) through the server."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

_BINARY = bytes(range(256)) * 3 + b"\x00\r\n\x1a\xff"


def _run(ctx: Any) -> str:
    return str(ctx.client.create_run(ctx.new_experiment()).info.run_id)


def _write(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def _repo(ctx: Any, run_id: str) -> Any:
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    uri = ctx.client.get_run(run_id).info.artifact_uri
    return get_artifact_repository(uri, tracking_uri=ctx.uri)


def scenario_upload_and_list(ctx: Any) -> Any:
    run_id = _run(ctx)
    src = _write(
        ctx.tmp / "src",
        {"model.txt": b"weights\n", "empty.bin": b"", "binary.dat": _BINARY},
    )
    c = ctx.client
    c.log_artifact(run_id, str(src / "model.txt"))
    c.log_artifact(run_id, str(src / "empty.bin"), artifact_path="sub")
    c.log_artifact(run_id, str(src / "binary.dat"), artifact_path="sub/deeper/deepest")
    c.log_text(run_id, "hello ✓", "notes/readme.md")
    c.log_dict(run_id, {"b": [1, 2], "a": None}, "config.json")
    c.log_dict(run_id, {"k": "v"}, "config.yaml")
    return {
        "root": ctx.artifacts(run_id),
        "sub": ctx.artifacts(run_id, "sub"),
        "sub_trailing_slash": ctx.artifacts(run_id, "sub/"),
        "deepest": ctx.artifacts(run_id, "sub/deeper/deepest"),
        "a_file": ctx.artifacts(run_id, "model.txt"),
        "missing_dir": ctx.artifacts(run_id, "no/such/dir"),
        "tree": ctx.artifact_tree(run_id),
    }


def scenario_nested_tree_round_trip(ctx: Any) -> Any:
    run_id = _run(ctx)
    rng = random.Random(1234)
    files = {
        "a.txt": b"top level\n",
        "dir1/b.txt": b"b" * 1000,
        "dir1/dir2/c.bin": _BINARY,
        "dir1/dir2/dir3/d.bin": rng.randbytes(300_000),
        "dir4/e.json": b'{"e": 1}',
        "dir4/empty": b"",
    }
    src = _write(ctx.tmp / "tree", files)
    ctx.client.log_artifacts(run_id, str(src))
    ctx.client.log_artifacts(run_id, str(src / "dir1"), artifact_path="copy/of/dir1")
    everything = ctx.client.download_artifacts(run_id, "", str(ctx.tmp / "dl_all"))
    one_dir = ctx.client.download_artifacts(run_id, "copy/of", str(ctx.tmp / "dl_dir"))
    one_file = ctx.client.download_artifacts(run_id, "dir1/dir2/c.bin", str(ctx.tmp / "dl_one"))
    return {
        "tree": ctx.artifact_tree(run_id),
        "everything": ctx.files(Path(everything)),
        "everything_equals_sources": {
            k: v for k, v in ctx.files(Path(everything)).items() if not k.startswith("copy/")
        }
        == files,
        "one_dir_name": Path(one_dir).name,
        "one_dir": ctx.files(Path(one_dir)),
        "one_file": (Path(one_file).name, Path(one_file).read_bytes() == _BINARY),
    }


def scenario_large_binary_artifact(ctx: Any) -> Any:
    import hashlib

    run_id = _run(ctx)
    data = random.Random(99).randbytes(3 * 1024 * 1024 + 17)
    src = _write(ctx.tmp / "big", {"blob.bin": data})
    ctx.client.log_artifact(run_id, str(src / "blob.bin"), artifact_path="big")
    local = Path(ctx.client.download_artifacts(run_id, "big/blob.bin", str(ctx.tmp / "dl")))
    back = local.read_bytes()
    return {
        "listing": ctx.artifacts(run_id, "big"),
        "size": len(back),
        "sha256_matches": hashlib.sha256(back).hexdigest() == hashlib.sha256(data).hexdigest(),
    }


def scenario_artifact_overwrite_and_names(ctx: Any) -> Any:
    run_id = _run(ctx)
    c = ctx.client
    c.log_text(run_id, "first", "same.txt")
    c.log_text(run_id, "second, longer", "same.txt")
    for name in ["with space.txt", "ünï.txt", "a+b=c&d.txt", "percent%20.txt", ".hidden"]:
        c.log_text(run_id, name, f"names/{name}")
    dl = Path(c.download_artifacts(run_id, "", str(ctx.tmp / "dl")))
    return {"tree": ctx.artifact_tree(run_id), "files": ctx.files(dl)}


def scenario_delete_artifacts(ctx: Any) -> Any:
    run_id = _run(ctx)
    files = {"keep.txt": b"k", "gone.txt": b"g", "dir/x.txt": b"x", "dir/sub/y.txt": b"y"}
    ctx.client.log_artifacts(run_id, str(_write(ctx.tmp / "src", files)))
    repo = _repo(ctx, run_id)
    before = ctx.artifact_tree(run_id)
    repo.delete_artifacts("gone.txt")
    after_file = ctx.artifact_tree(run_id)
    repo.delete_artifacts("dir")
    after_dir = ctx.artifact_tree(run_id)
    return {
        "before": before,
        "after_file": after_file,
        "after_dir": after_dir,
        "delete_missing": ctx.error(repo.delete_artifacts, "never/was.txt"),
    }


def scenario_artifact_errors(ctx: Any) -> Any:
    run_id = _run(ctx)
    ctx.client.log_text(run_id, "x", "present.txt")
    c = ctx.client
    return {
        "download_missing_file": ctx.error(
            c.download_artifacts, run_id, "absent.txt", str(ctx.tmp / "d1")
        ),
        "list_missing_run": ctx.error(c.list_artifacts, "0123456789abcdef0123456789abcdef"),
        "list_root_of_fresh_run": ctx.artifacts(_run_in_same(ctx, run_id)),
        "download_from_missing_run": ctx.error(
            c.download_artifacts, "0123456789abcdef0123456789abcdef", "", str(ctx.tmp / "d2")
        ),
    }


def _run_in_same(ctx: Any, run_id: str) -> str:
    exp_id = ctx.client.get_run(run_id).info.experiment_id
    return str(ctx.client.create_run(exp_id).info.run_id)


def scenario_artifacts_raw_http(ctx: Any) -> Any:
    """The ``mlflow-artifacts`` REST endpoints the client uses, seen directly."""
    run_id = _run(ctx)
    exp_id = ctx.client.get_run(run_id).info.experiment_id
    base = f"/api/2.0/mlflow-artifacts/artifacts/{exp_id}/{run_id}/artifacts"
    put = ctx.http("PUT", f"{base}/raw/file.bin", data=_BINARY)
    nested = ctx.http("PUT", f"{base}/raw/inner/n.txt", data=b"nested")
    get = ctx.http("GET", f"{base}/raw/file.bin", body=False)
    listing = ctx.http(
        "GET",
        "/api/2.0/mlflow-artifacts/artifacts",
        params={"path": f"{exp_id}/{run_id}/artifacts/raw"},
    )
    listing_missing = ctx.http(
        "GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": f"{exp_id}/{run_id}/nope"}
    )
    import requests

    content = requests.get(
        ctx.uri + f"{base}/raw/file.bin",
        headers={"Authorization": f"Bearer {ctx.auth_token}"},
        timeout=30,
    ).content
    return {
        "put": put,
        "put_nested": nested,
        "get_status": get,
        "get_bytes_match": content == _BINARY,
        "list": listing,
        "list_missing": listing_missing,
        "get_missing": ctx.http("GET", f"{base}/raw/absent.bin", body=False),
        "put_empty": ctx.http("PUT", f"{base}/raw/empty.txt", data=b""),
        "list_run_root": ctx.http(
            "GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": f"{exp_id}/{run_id}"}
        ),
        "delete": ctx.http("DELETE", f"{base}/raw/file.bin"),
        "after_delete": ctx.artifacts(run_id, "raw"),
        "traversal": ctx.http("GET", f"{base}/../../../etc/passwd", body=False),
        "traversal_list": ctx.http(
            "GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": "../"}, body=False
        ),
    }


def scenario_artifact_get_a_directory(ctx: Any) -> Any:
    """``GET`` of a directory's path (a download of something that is not a file)."""
    run_id = _run(ctx)
    exp_id = ctx.client.get_run(run_id).info.experiment_id
    base = f"/api/2.0/mlflow-artifacts/artifacts/{exp_id}/{run_id}/artifacts"
    ctx.http("PUT", f"{base}/dir/inner/file.txt", data=b"x")
    return {
        "get_dir": ctx.http("GET", f"{base}/dir"),
        "get_nested": ctx.http("GET", f"{base}/dir/inner"),
    }


def test_scenario(contract: Any, scenario: Any) -> None:
    contract.check(scenario)
