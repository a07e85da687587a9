"""pygal, imported once for every chart of the desk (the dashboard, the price simulation).

pygal puts an import hook for its map plugins (unused here) on sys.meta_path. It has no
find_spec, so from then on every import that fails anywhere in the process raises an
ImportWarning on Python 3.11 (an error under the tests' warning filter): take it off
here, where pygal is first imported.
"""

from __future__ import annotations

import sys

import pygal
from pygal.style import Style

sys.meta_path[:] = [finder for finder in sys.meta_path
                    if not isinstance(finder, pygal.PluginImportFixer)]

__all__ = ["Style", "pygal"]
