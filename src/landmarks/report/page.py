"""One HTML page per run: sections of metric tables, images with captions, and preformatted text.

Images are referenced by a relative path to their PNG inside the run folder rather than embedded as
base64: the page stays small and quick to open however many figures a run has, each PNG stays the one
copy (and can be opened on its own), and moving or copying the whole run folder keeps every link.
An image given from outside the run folder is first copied into ``run_dir/report_files/``.
"""

from __future__ import annotations

import html
import math
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from landmarks.errors import DataError

REPORT_NAME = "report.html"
ASSETS_DIR = "report_files"  # copies of images that live outside the run folder
SECTION_KINDS = ("table", "images", "text")
MAX_LIST_ITEMS = 8  # a list-valued metric (a curve) shows this many values in a table cell

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0 auto;
       max-width: 1200px; padding: 1.5rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }
.run { color: #666; font-size: 0.9rem; margin-top: 0; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.7rem; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f4f4f4; }
.images { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; flex: 1 1 320px; max-width: 100%; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85rem; color: #555; }
pre { background: #f7f7f7; border: 1px solid #e4e4e4; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }
""".strip()


@dataclass(frozen=True)
class Section:
    """One titled part of the report.

    ``content`` by ``kind``:
        ``"table"``: a mapping ``name -> value`` (two columns; nested mappings are flattened to dotted
        names), or a sequence of row mappings (one column per key, in order of first appearance).
        ``"images"``: a sequence of paths, or of ``(path, caption)`` pairs; a bare path is captioned
        with its file name. Relative paths are relative to the run folder.
        ``"text"``: a string, shown preformatted (a config, a log excerpt).
    """

    title: str
    kind: Literal["table", "images", "text"]
    content: Any

    def __post_init__(self):
        if self.kind not in SECTION_KINDS:
            raise ValueError(f"section kind must be one of {SECTION_KINDS}, got {self.kind!r}")


def build_report(run_dir: str | Path, *, title: str, sections: Sequence[Section]) -> Path:
    """Write ``run_dir/report.html`` with ``sections`` in order and return its path.

    All text (titles, names, values, captions, the preformatted text) is HTML-escaped. A missing image
    raises :class:`~landmarks.errors.DataError`.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    renderers = {"table": _table_html, "images": _images_html, "text": _text_html}
    body = [f"<h1>{_escape(title)}</h1>", f'<p class="run">run folder: {_escape(run_dir.resolve().name)}</p>']
    for section in sections:
        body += [f"<h2>{_escape(section.title)}</h2>", renderers[section.kind](section.content, run_dir)]
    page = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_escape(title)}</title>",
            f"<style>\n{STYLE}\n</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )
    path = run_dir / REPORT_NAME
    path.write_text(page, encoding="utf-8")
    return path


def format_value(value: Any) -> str:
    """A metric value as text: floats to 6 significant digits, long lists shortened, others with ``str``."""
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        shown = ", ".join(format_value(item) for item in value[:MAX_LIST_ITEMS])
        more = f", ... ({len(value)} values)" if len(value) > MAX_LIST_ITEMS else ""
        return f"[{shown}{more}]"
    return str(value)


def _table_html(content: Mapping | Sequence[Mapping], run_dir: Path) -> str:
    if isinstance(content, Mapping):
        header, rows = ["name", "value"], [[name, value] for name, value in _flatten(content)]
    else:
        header = list(dict.fromkeys(key for row in content for key in row))
        rows = [[row.get(key, "") for key in header] for row in content]
    head = "".join(f"<th>{_escape(name)}</th>" for name in header)
    lines = ["<table>", f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for row in rows:
        cells = "".join(_cell_html(value) for value in row)
        lines.append(f"<tr>{cells}</tr>")
    return "\n".join([*lines, "</tbody>", "</table>"])


def _cell_html(value: Any) -> str:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    css = ' class="number"' if is_number else ""
    return f"<td{css}>{_escape(format_value(value))}</td>"


def _flatten(metrics: Mapping, prefix: str = "") -> list[tuple[str, Any]]:
    items = []
    for name, value in metrics.items():
        if isinstance(value, Mapping):
            items += _flatten(value, f"{prefix}{name}.")
        else:
            items.append((f"{prefix}{name}", value))
    return items


def _images_html(content: Sequence, run_dir: Path) -> str:
    figures = []
    for item in content:
        path, caption = (item, None) if isinstance(item, str | Path) else item
        source = _relative_source(Path(path), run_dir)
        caption = Path(path).name if caption is None else caption
        figures.append(
            f'<figure><img src="{_escape(source)}" alt="{_escape(caption)}" loading="lazy">'
            f"<figcaption>{_escape(caption)}</figcaption></figure>"
        )
    return "\n".join(['<div class="images">', *figures, "</div>"])


def _relative_source(path: Path, run_dir: Path) -> str:
    """The URL-quoted path of ``path`` relative to ``run_dir``, copying it in if it lives elsewhere."""
    absolute = (path if path.is_absolute() else run_dir / path).resolve()
    if not absolute.is_file():
        raise DataError(path, "report image does not exist")
    root = run_dir.resolve()
    if not absolute.is_relative_to(root):
        copy = root / ASSETS_DIR / absolute.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(absolute, copy)
        absolute = copy
    return quote(absolute.relative_to(root).as_posix())


def _text_html(content: str, run_dir: Path) -> str:
    return f"<pre>{_escape(content)}</pre>"


def _escape(text: Any) -> str:
    return html.escape(str(text), quote=True)
