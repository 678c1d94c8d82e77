"""Packages the sales_roles addon as the distribution odoo-addon-sales_roles.

setuptools-odoo reads the name, version, summary, license and dependencies from
odoo/addons/sales_roles/__manifest__.py (a symlink to ./sales_roles), the
layout it requires, and takes every file git tracks under it.

setuptools-odoo 3.3.2, its last release, knows Odoo series up to 16.0 only:
18.0 is registered here with the conventions of manifestoo-core, the library
that whool (setuptools-odoo's successor) builds on: requirement odoo==18.0.*,
Odoo's own addons (CE and EE) taken from manifestoo-core's lists, ".N" git
post-version.
"""

import shutil
import subprocess
from pathlib import Path

import setuptools
import setuptools.command.build_py
from manifestoo_core.metadata import ODOO_SERIES_INFO
from manifestoo_core.odoo_series import OdooSeries
from setuptools_odoo import core
from setuptools_odoo.commands import compat_editable_wheel
from setuptools_odoo.git_postversion import STRATEGY_NONE

HERE = Path(__file__).resolve().parent
ADDON = "sales_roles"
ADDON_IN_NS = Path("odoo", "addons", ADDON)

if "18.0" not in core.ODOO_VERSION_INFO:
    _info = ODOO_SERIES_INFO[OdooSeries.v18_0]
    core.ODOO_VERSION_INFO["18.0"] = {
        "odoo_dep": _info.odoo_dep,
        "base_addons": frozenset(_info.core_addons),
        "pkg_name_pfx": _info.pkg_name_pfx,
        "pkg_version_specifier": _info.pkg_version_specifier,
        "addons_ns": _info.addons_ns,
        "namespace_packages": _info.namespace_packages,
        "python_requires": _info.python_requires,
        "universal_wheel": _info.universal_wheel,
        "git_postversion_strategy": _info.git_postversion_strategy,
    }


def _post_version_strategy():
    """The manifest version as is when git has no commit to count from.

    setuptools-odoo's git post-version runs `git log`, which fails in a
    repository without any commit.
    """
    try:
        subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
            cwd=HERE,
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return STRATEGY_NONE
    return None


class build_py(setuptools.command.build_py.build_py):
    """Builds the addon afresh: no file deleted since the last build lingers in build/."""

    def run(self):
        shutil.rmtree(Path(self.build_lib, ADDON_IN_NS), ignore_errors=True)
        super().run()


keywords = core.prepare_odoo_addon(post_version_strategy_override=_post_version_strategy())
# setuptools-odoo adds whatever setuptools.find_packages() sees from here, which at
# the repository root includes ./sales_roles itself: ship the addon once, as
# odoo.addons.sales_roles, its modules and data files all as data of odoo.addons.
# They are listed from the directory, not from git (setuptools-odoo's way): git's
# file finder keeps odoo/addons/sales_roles as a symlink since it points inside
# this repository, and the wheel would then lack the addon's files.
keywords["packages"] = ["odoo.addons"]
keywords["include_package_data"] = False
keywords["package_data"] = {"odoo.addons": [f"{ADDON}/**/*"]}
keywords["exclude_package_data"] = {"odoo.addons": ["**/__pycache__/*", "**/*.py[co]"]}

setuptools.setup(
    cmdclass={
        "build_py": build_py,
        **({"editable_wheel": compat_editable_wheel} if compat_editable_wheel else {}),
    },
    **keywords,
)
