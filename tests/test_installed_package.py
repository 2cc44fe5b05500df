"""The tests exercise the installed package, not the checkout beside them."""

import json
from importlib import metadata
from pathlib import Path

import pytest

import skimbnet

CHECKOUT = Path(__file__).resolve().parents[1] / "skimbnet"


def _editable_install():
    direct_url = metadata.distribution("skimbnet").read_text("direct_url.json")
    return bool(direct_url) and json.loads(direct_url).get("dir_info", {}).get("editable", False)


def test_skimbnet_is_imported_from_where_it_was_installed():
    # ``python -m pytest`` would put the checkout first on sys.path and hide a file missing
    # from the wheel; ``pytest`` with a regular install must import the installed copy.
    imported = Path(skimbnet.__file__).resolve().parent
    if _editable_install():
        assert imported == CHECKOUT
    else:
        assert imported != CHECKOUT, f"skimbnet imported from the checkout {imported}"
        assert "site-packages" in imported.parts


def test_installed_files_match_the_package_modules():
    # every module of the checkout is in the installed distribution (a packaging slip fails)
    if _editable_install():
        pytest.skip("an editable install imports the checkout itself")
    installed = {Path(f).name for f in metadata.files("skimbnet") if f.parts[0] == "skimbnet"}
    wanted = {p.name for p in CHECKOUT.glob("*.py")}
    assert wanted <= installed, sorted(wanted - installed)
