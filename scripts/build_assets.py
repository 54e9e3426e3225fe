"""Copy the browser files the UI serves from ``node_modules/`` into the package's static folder.

The front-end packages come from the npm registry at build time (``npm ci`` reads the pinned
``package-lock.json``); at run time the app serves these copies itself and loads nothing from a
CDN. Each package's licence travels with its files. Run through ``make assets``.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "src" / "fengkong" / "web" / "static" / "vendor"


@dataclass(frozen=True)
class Asset:
    package: str
    source: str
    target: str


ASSETS = (
    Asset("htmx.org", "dist/htmx.min.js", "htmx.min.js"),
    Asset("htmx.org", "LICENSE", "licenses/htmx.org.txt"),
    Asset("echarts", "dist/echarts.min.js", "echarts.min.js"),
    Asset("echarts", "LICENSE", "licenses/echarts.txt"),
    Asset("echarts", "NOTICE", "licenses/echarts-NOTICE.txt"),
    # echarts.min.js bundles zrender, its rendering engine (BSD-3-Clause).
    Asset("zrender", "LICENSE", "licenses/zrender.txt"),
    # The interactive API docs at /docs, served locally instead of from FastAPI's default CDN.
    Asset("swagger-ui-dist", "swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"),
    Asset("swagger-ui-dist", "swagger-ui.css", "swagger-ui/swagger-ui.css"),
    Asset("swagger-ui-dist", "LICENSE", "licenses/swagger-ui.txt"),
)


def locked_versions() -> dict[str, str]:
    """The versions package-lock.json pins, to check node_modules is not stale."""
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return {
        path.removeprefix("node_modules/"): entry["version"]
        for path, entry in lock["packages"].items()
        if path.startswith("node_modules/")
    }


def installed_version(package: str) -> str:
    manifest = NODE_MODULES / package / "package.json"
    version: str = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return version


def build() -> list[str]:
    """Replace the vendor folder with fresh copies; returns a line per package copied."""
    locked = locked_versions()
    problems = []
    for package in sorted({asset.package for asset in ASSETS}):
        if not (NODE_MODULES / package).is_dir():
            problems.append(f"{package} is not in node_modules (run `npm ci` first)")
        elif installed_version(package) != locked.get(package):
            problems.append(
                f"{package} {installed_version(package)} in node_modules, "
                f"{locked.get(package)} in package-lock.json (run `npm ci`)"
            )
    if problems:
        raise SystemExit("cannot build assets:\n  " + "\n  ".join(problems))
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for asset in ASSETS:
        target = VENDOR / asset.target
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE_MODULES / asset.package / asset.source, target)
    return [
        f"{package} {locked[package]}" for package in sorted({asset.package for asset in ASSETS})
    ]


def main() -> None:
    copied = build()
    sys.stdout.write(f"vendor assets in {VENDOR.relative_to(ROOT)}: {', '.join(copied)}\n")


if __name__ == "__main__":
    main()
