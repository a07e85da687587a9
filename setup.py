"""The build step pyproject.toml cannot say: what ships beside the code.

The top-level folders templates/ (with the proposal's fonts), locales/,
pricing_rules/ and examples/ stay where they are in the checkout; building a wheel
copies them into the package as quoting/_data/<folder>/ and compiles every gettext
catalogue there (.po -> .mo, as `pybabel compile` does; the .mo files are not in
git). quoting.paths reads the checkout's folders when running from a checkout (an
editable install builds nothing here) and the packaged copies otherwise.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA_FOLDERS = ("templates", "locales", "pricing_rules", "examples")
PACKAGED_DATA = Path("quoting") / "_data"
# Never shipped: compiled anew below, or not data at all.
LEFT_OUT = shutil.ignore_patterns("*.mo", "__pycache__", "*.pyc", ".*")


def compile_catalogues(locales: Path) -> None:
    """Every <lang>/LC_MESSAGES/<domain>.po under `locales` to its .mo (fuzzy entries
    left out, as `pybabel compile` does)."""
    from babel.messages.mofile import write_mo  # a build requirement (pyproject.toml)
    from babel.messages.pofile import read_po

    for po in sorted(locales.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name, domain=po.stem)
        with po.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders (quoting.paths)
        target = Path(self.build_lib) / PACKAGED_DATA
        for name in DATA_FOLDERS:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(HERE / name, target / name, ignore=LEFT_OUT)
        compile_catalogues(target / "locales")


setup(cmdclass={"build_py": BuildPyWithData})
