"""`pip install .` gives a working `quoting`: the wheel is built from a copy of the
source (no compiled catalogues in it, as in a fresh clone), installed in a temporary
virtualenv that sees the already installed dependencies (no network), and run from a
directory outside the checkout: price, render, demo, the web app, the worker, and a
company's own price lists through QUOTING_RULES_DIR.

About half a minute; `-m "not wheel"` leaves it out. It runs on the SQLite pass of
`make test` only: the database is not what it tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.wheel,
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                       reason="the installed package is checked on the SQLite pass"),
]

CHECKOUT = Path(__file__).resolve().parents[2]
# What a source distribution holds (MANIFEST.in): the build needs nothing else.
SOURCE = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md",
          "quoting", "templates", "locales", "pricing_rules", "examples")
CLIENT = "Grupo Industrial Norteño"  # examples/mx.json


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} exited {result.returncode}\n"
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the wheel installed; returns its bin/ folder."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    left_out = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "*.egg-info")
    for name in SOURCE:
        if (CHECKOUT / name).is_dir():
            shutil.copytree(CHECKOUT / name, source / name, ignore=left_out)
        else:
            shutil.copy2(CHECKOUT / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-index",
        "--no-build-isolation", "--quiet", "-w", root / "dist", cwd=source)
    wheels = sorted((root / "dist").glob("quoting-*.whl"))
    assert len(wheels) == 1, wheels

    venv = root / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    python = venv / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
               cwd=root).stdout.strip()
    # The dependencies: this environment's site-packages, after the venv's own (a
    # plain path line: the editable install's .pth files there are not run).
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    Path(site, "quoting-dependencies.pth").write_text("\n".join(ours) + "\n", "utf-8")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-index", wheels[0], cwd=root)
    return venv / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory outside the checkout."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def environment(elsewhere: Path) -> dict[str, str]:
    """The shell's environment without anything that points at the checkout or a database."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("QUOTING_", "PYTHON", "SIGNING_", "MAIL_", "QUEUE_"))
           and name not in ("DATABASE_URL", "OUTBOX_DIR", "VIRTUAL_ENV")}
    env["DATABASE_URL"] = f"sqlite:///{elsewhere / 'quotes.db'}"
    return env


def test_the_installed_package_runs_from_its_own_files(
        installed: Path, elsewhere: Path, environment: dict[str, str]) -> None:
    where = run(installed / "python", "-c",
                "import quoting, quoting.paths as p; print(quoting.__file__); "
                "print(p.TEMPLATES_DIR); print(p.instance_dir())",
                cwd=elsewhere, env=environment).stdout.split()
    package = Path(where[0]).parent
    assert package.is_relative_to(installed.parent), where
    assert Path(where[1]) == package / "_data" / "templates"
    assert Path(where[2]) == elsewhere / "instance"  # not inside site-packages
    # The catalogues were compiled by the build (the copied source had no .mo).
    for domain in ("messages", "web"):
        assert (package / "_data" / "locales" / "es" / "LC_MESSAGES" / f"{domain}.mo").is_file()
    # And the markets' regional wording (Spain's proposal and client pages, pt-BR).
    for locale, domain in (("es_ES", "regional"), ("es_ES", "web_regional"),
                           ("pt_BR", "regional")):
        assert (package / "_data" / "locales" / locale / "LC_MESSAGES" / f"{domain}.mo").is_file()


def test_price_and_render_an_example_from_another_directory(
        installed: Path, elsewhere: Path, environment: dict[str, str]) -> None:
    example = run(installed / "quoting", "example", "mx", cwd=elsewhere, env=environment)
    (elsewhere / "mx.json").write_text(example.stdout, "utf-8")
    priced = run(installed / "quoting", "price", "mx.json", cwd=elsewhere, env=environment)
    assert "$11,700.00 per area" in priced.stdout

    run(installed / "quoting", "render", "mx.json", "-o", "mx.pdf", cwd=elsewhere,
        env=environment)
    pdf = (elsewhere / "mx.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    text = run("pdftotext", "mx.pdf", "-", cwd=elsewhere).stdout
    assert CLIENT in text
    assert "Cotización" in text  # the proposal's wording, from the packaged catalogue


def test_demo_web_app_and_worker_from_another_directory(
        installed: Path, elsewhere: Path, environment: dict[str, str]) -> None:
    demo = run(installed / "quoting", "demo", cwd=elsewhere, env=environment)
    assert "mx.json" in demo.stdout
    assert CLIENT in demo.stdout
    run(installed / "quoting", "worker", "--burst", cwd=elsewhere, env=environment)

    # The sales desk: templates, compiled `web` catalogue and static files from the
    # wheel; its secret key written to ./instance, not into site-packages.
    page = run(installed / "python", "-c", (
        "from quoting.web import create_app\n"
        "client = create_app().test_client()\n"
        "login = client.get('/login', headers={'Accept-Language': 'es'})\n"
        "css = client.get('/static/css/app.css')\n"
        "print(login.status_code, css.status_code)\n"
        "print(login.get_data(as_text=True))\n"), cwd=elsewhere, env=environment).stdout
    assert page.startswith("200 200\n")
    assert "Iniciar sesión" in page
    assert (elsewhere / "instance" / "secret_key").is_file()

    signing = elsewhere / "elsewhere-instance"
    run(installed / "quoting", "signing", "demo-pair", cwd=elsewhere,
        env={**environment, "QUOTING_INSTANCE": str(signing)})
    assert (signing / "signing" / "seller-cert.pem").is_file()


def test_a_companys_own_price_lists_through_quoting_rules_dir(
        installed: Path, elsewhere: Path, environment: dict[str, str]) -> None:
    shipped = run(installed / "python", "-c",
                  "import quoting.paths as p; print(p.SHIPPED_RULES_DIR)",
                  cwd=elsewhere, env=environment).stdout.strip()
    own = elsewhere / "acme-prices"
    shutil.copytree(shipped, own)
    rules = own / "MX" / "MX-2025-01.toml"
    text = rules.read_text("utf-8")
    assert text.count('per_discovery_area = "11700.00"') == 1
    rules.write_text(text.replace('per_discovery_area = "11700.00"',
                                  'per_discovery_area = "12345.00"'), "utf-8")
    (elsewhere / "mx.json").write_text(
        run(installed / "quoting", "example", "mx", cwd=elsewhere, env=environment).stdout,
        "utf-8")

    env = {**environment, "QUOTING_RULES_DIR": str(own)}
    priced = run(installed / "quoting", "price", "mx.json", cwd=elsewhere, env=env)
    assert "$12,345.00 per area" in priced.stdout
    assert "$11,700.00" not in priced.stdout

    missing = subprocess.run([str(installed / "quoting"), "price", "mx.json"], cwd=elsewhere,
                             env={**environment, "QUOTING_RULES_DIR": str(elsewhere / "none")},
                             capture_output=True, text=True, timeout=120, check=False)
    assert missing.returncode == 2
    assert "QUOTING_RULES_DIR" in missing.stderr
