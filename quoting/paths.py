"""Where the engine finds its files, decided in this one place.

What ships with the code — templates/ (with the proposal's fonts), locales/ (the
gettext catalogues), pricing_rules/ and examples/ — is read from the repository's
top-level folders when running from a checkout (an editable install included), and
from their copies under quoting/_data/ in an installed wheel (the build puts them
there and compiles the catalogues: setup.py).

`QUOTING_RULES_DIR` points the engine at a company's own price lists instead of the
shipped examples (`<MARKET>/<version>.toml`, as in pricing_rules/).

The instance folder holds what the engine writes (the SQLite database, the secret
key, the outbox, the PDF cache, the demo signing pair): `QUOTING_INSTANCE`, else
instance/ in the checkout, else instance/ in the current directory — never inside
site-packages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent
PACKAGED_DATA_DIR = PACKAGE_DIR / "_data"
RULES_ENV = "QUOTING_RULES_DIR"
INSTANCE_ENV = "QUOTING_INSTANCE"

Resource = Literal["templates", "locales", "pricing_rules", "examples"]


def from_checkout() -> bool:
    """Running from the source tree (not from a wheel installed in site-packages)."""
    return (CHECKOUT_DIR / "pyproject.toml").is_file() and (CHECKOUT_DIR / "pricing_rules").is_dir()


def resource_dir(name: Resource) -> Path:
    """A folder that ships with the code: the checkout's, else the wheel's copy."""
    return (CHECKOUT_DIR if from_checkout() else PACKAGED_DATA_DIR) / name


TEMPLATES_DIR = resource_dir("templates")
LOCALES_DIR = resource_dir("locales")
SHIPPED_RULES_DIR = resource_dir("pricing_rules")
EXAMPLES_DIR = resource_dir("examples")


def _configured(name: str, environ: Mapping[str, str] | None) -> Path | None:
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    return Path(raw).expanduser().absolute() if raw else None


def rules_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The price lists the engine reads: `QUOTING_RULES_DIR`, else the shipped ones."""
    return _configured(RULES_ENV, environ) or SHIPPED_RULES_DIR


def instance_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the engine writes: `QUOTING_INSTANCE`, else instance/ in the checkout,
    else instance/ in the current directory (an installed package)."""
    configured = _configured(INSTANCE_ENV, environ)
    if configured is not None:
        return configured
    return (CHECKOUT_DIR if from_checkout() else Path.cwd()) / "instance"
