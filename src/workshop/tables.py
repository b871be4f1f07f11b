"""A small table that renders as HTML in Jupyter and as aligned text in a terminal (no pandas needed)."""
import html


class Table:
    """Rows of dicts shown as a table; `columns` picks and orders the keys (default: the first row's keys)."""

    def __init__(self, rows: list[dict], columns: list[str] | None = None, title: str | None = None):
        self.rows = list(rows)
        self.columns = list(columns or (self.rows[0].keys() if self.rows else []))
        self.title = title

    def _cells(self, row: dict) -> list[str]:
        return [format_cell(row.get(column, "")) for column in self.columns]

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(cell)}</td>" for cell in self._cells(row))
            + "</tr>" for row in self.rows)
        caption = f"<caption style='text-align:left'><b>{html.escape(self.title)}</b></caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self) -> str:
        cells = [self.columns] + [self._cells(row) for row in self.rows]
        widths = [max(len(line[i]) for line in cells) for i in range(len(self.columns))]
        lines = ["  ".join(value.ljust(width) for value, width in zip(line, widths)).rstrip() for line in cells]
        lines.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join(([self.title] if self.title else []) + lines)


def format_cell(value) -> str:
    if isinstance(value, float):
        # Two decimals at most, none for large numbers, and no trailing zeros: 62.5, 36.8, 1,005.
        text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)
