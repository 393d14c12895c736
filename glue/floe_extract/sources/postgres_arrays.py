"""PostgreSQL arrays as Arrow lists: COPY's array text parsed into lists of the element's Arrow type.

COPY prints an array as PostgreSQL's array text (`{1,NULL,3}`, `{{1,2},{3,4}}`, `{"a b",NULL}`,
`[0:2]={1,2,3}`), each element exactly as the element type's output function prints it. That text is
read as a string with the rest of the row, and only array columns are parsed here, after the read:
arrays of the column's depth without escapes in bulk (a few regex matches and one split per level
over the whole column, about 1 µs a value), any other array by a small parser, one value at a time
(about 10 µs). Element texts then become the element's
Arrow type through pyarrow's CSV conversion, the one the CSV reader applies to scalar columns (so
`t`/`f`, `NaN`, `+00` offsets and `24:00:00` read as PostgreSQL's text of them); element types
without an exact Arrow form stay their text.

The nesting depth is the column's declared number of dimensions (`integer[][]` is 2), 1 when the
catalog has none: PostgreSQL does not enforce it (an `integer[]` column may hold `{{1,2}}`), and its
`attndims` is 0 for columns made by CREATE TABLE AS or typed by a domain
(https://www.postgresql.org/docs/current/catalog-pg-attribute.html). A value no list of that depth
holds exactly is unrepresentable and goes through the column's policy, as any other such value:
one of another depth, one whose lower bounds are not 1 (a list has none), one with an element no
destination holds (a date `infinity`, `NaN` in a `numeric(p,s)`, the time `24:00:00`), and one
longer than Snowflake holds in an ARRAY.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..columns import SourceColumn
from ..errors import UnrepresentableValueError
from ..quarantine import Policy

# Snowflake holds an ARRAY, like any VARIANT, up to 128 MB uncompressed
# (https://docs.snowflake.com/en/sql-reference/data-types-semistructured#characteristics-of-a-variant-value);
# the array's text measures it, as its JSON would.
ARRAY_LIMIT_BYTES = 134_217_728
# How much of a rejected array's text a failure message quotes.
QUOTED_CHARS = 200


@dataclass(frozen=True)
class ArrayShape:
    """What an array column lands as: lists `depth` deep of `element`, from text delimited by `delimiter`."""

    element: pa.DataType
    depth: int
    delimiter: str
    element_type: str  # the element's PostgreSQL type, for messages

    @property
    def arrow_type(self) -> pa.DataType:
        return nested_list(self.element, self.depth)


def nested_list(element: pa.DataType, depth: int) -> pa.DataType:
    result = element
    for _ in range(depth):
        result = pa.list_(result)
    return result


class Rejected(NamedTuple):
    """A value set aside or changed: its row, the array's text, why, and what was done."""

    row: int
    text: str
    reason: str
    action: str


class _Unfit(Exception):
    """A value whose structure no list of the column's depth holds exactly (lower bounds, depth)."""

    def __init__(self, reason: str, elements: list[object] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        # The elements as a list of the right depth, when dropping the lower bounds keeps them all.
        self.elements = elements


_BOUNDS = re.compile(r"^((?:\[-?\d+:-?\d+\])+)=")
_UNESCAPE = re.compile(r"\\(.)", re.S)


def _tokenizer(delimiter: str) -> re.Pattern[str]:
    d = re.escape(delimiter)
    # Array output quotes every element holding braces, the delimiter, quotes, backslashes or
    # white space (and empty strings and the text NULL), escaping " and \ with a backslash; an
    # unquoted NULL is a NULL element (https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO).
    return re.compile(r'(\{)|(\})|' + d + r'|"((?:[^"\\]|\\.)*)"|([^{}"' + d + r"]+)", re.S)


def parse_array(text: str, tokens: re.Pattern[str]) -> tuple[str | None, int, list[object]]:
    """PostgreSQL's array text as (lower bounds or None, dimensions, nested lists of element texts)."""
    bounds = None
    body = text
    match = _BOUNDS.match(text)
    if match is not None:
        bounds = match.group(1)
        body = text[match.end():]
    stack: list[list[object]] = []
    root: list[object] = []
    depth = 0
    for token in tokens.finditer(body):
        opening, closing, quoted, bare = token.groups()
        if opening is not None:
            child: list[object] = []
            if stack:
                stack[-1].append(child)
            else:
                root = child
            stack.append(child)
            depth = max(depth, len(stack))
        elif closing is not None:
            stack.pop()
        elif quoted is not None:
            stack[-1].append(_UNESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted)
        elif bare is not None:
            stack[-1].append(None if bare == "NULL" else bare)
    # `{}` has no dimensions: an empty list at any depth.
    return bounds, (0 if not root else depth), root


@dataclass(frozen=True)
class ElementRule:
    """Element texts no destination holds, why, and the nearest value `coerce` gives each (None: NULL)."""

    bad: Callable[[pa.Array], pa.Array]
    reason: Callable[[str], str]
    nearest: Callable[[str], str | None]


def _date_rule(element: pa.DataType) -> ElementRule | None:
    if pa.types.is_date32(element):
        low, high, what = "0001-01-01", "9999-12-31", "dates"
    elif pa.types.is_timestamp(element):
        zone = "+00" if element.tz else ""
        low, high, what = f"0001-01-01 00:00:00{zone}", f"9999-12-31 23:59:59.999999{zone}", "timestamps"
    elif pa.types.is_time64(element):
        return ElementRule(
            bad=lambda texts: pc.equal(texts, "24:00:00"),
            reason=lambda text: f"element {text} is past the last time of day every destination holds "
            "(23:59:59.999999)",
            nearest=lambda _text: "23:59:59.999999",
        )
    else:
        return None
    # In range: a four-digit year, not BC. infinity, -infinity, BC and years past 9999 are not.
    return ElementRule(
        bad=lambda texts: pc.or_(
            pc.invert(pc.match_substring_regex(texts, r"^\d{4}-")), pc.match_substring(texts, " BC")
        ),
        reason=lambda text: f"element {text} is outside {low[:10]} … {high[:10]}, the {what} every destination holds",
        nearest=lambda text: low if text.startswith("-") or text.endswith(" BC") else high,
    )


def _element_rule(shape: ArrayShape) -> ElementRule | None:
    if pa.types.is_decimal(shape.element):
        return ElementRule(
            bad=lambda texts: pc.equal(texts, "NaN"),
            reason=lambda _text: f"element NaN has no form in a {shape.element_type}",
            nearest=lambda _text: None,
        )
    return _date_rule(shape.element)


class ArrayColumn:
    """Turns one array column's texts into lists, setting aside what its policy says."""

    def __init__(self, table: str, column: SourceColumn, shape: ArrayShape, policy: Policy) -> None:
        self.table = table
        self.column = column
        self.shape = shape
        self.policy = policy
        self._tokens = _tokenizer(shape.delimiter)
        self._rule = _element_rule(shape)
        self._strings = nested_list(pa.string(), shape.depth)

    def convert(self, texts: pa.Array) -> tuple[pa.Array, list[Rejected]]:
        """The column as lists, and what was set aside or coerced (the `fail` policy raises instead)."""
        if texts.null_count == len(texts):
            return pa.nulls(len(texts), self.shape.arrow_type), []
        rejected: dict[int, Rejected] = {}
        lengths = pc.fill_null(pc.binary_length(texts), 0)
        if pc.max(lengths).as_py() > ARRAY_LIMIT_BYTES:
            for row in pc.indices_nonzero(pc.greater(lengths, ARRAY_LIMIT_BYTES)).to_pylist():
                size = lengths[row].as_py()
                reason = f"longer than the {ARRAY_LIMIT_BYTES:,} bytes Snowflake holds in an ARRAY"
                self._reject(rejected, row, f"{texts[row].as_py()[:64]}… ({size:,} bytes)", reason, "set to NULL")
        strings = self._element_texts(texts, rejected)
        strings = self._check_elements(strings, texts, rejected)
        if rejected:
            dropped = [row for row, entry in rejected.items() if entry.action == "set to NULL"]
            if dropped:
                mask = pc.is_in(pa.array(range(len(texts)), pa.int64()), value_set=pa.array(dropped, pa.int64()))
                strings = pc.if_else(mask, pa.scalar(None, self._strings), strings)
        return _rebuild(strings, self._convert_leaves(_leaves(strings))), [rejected[row] for row in sorted(rejected)]

    def _element_texts(self, texts: pa.Array, rejected: dict[int, Rejected]) -> pa.Array:
        """Nested lists of element texts (NULL where a value was set aside or is NULL)."""
        bulk = self._bulk(texts)
        if pc.all(pc.or_(bulk, pc.is_null(texts))).as_py():
            return self._split(texts)
        # Values the bulk split cannot take, one at a time.
        slow_rows = pc.indices_nonzero(pc.and_(pc.invert(bulk), pc.is_valid(texts)))
        parsed: list[object] = [None] * len(texts)
        for row, text in zip(slow_rows.to_pylist(), texts.take(slow_rows).to_pylist()):
            if row in rejected:
                continue
            try:
                parsed[row] = self._parse(text)
            except _Unfit as unfit:
                if unfit.elements is not None and self.policy == "coerce":
                    parsed[row] = unfit.elements
                    self._reject(rejected, row, text, unfit.reason, "lower bounds dropped, elements kept")
                else:
                    self._reject(rejected, row, text, unfit.reason, "set to NULL")
        return pc.if_else(bulk, self._split(texts), pa.array(parsed, self._strings))

    def _bulk(self, texts: pa.Array) -> pa.Array:
        """Which values `_split` takes: the column's depth, no backslash, no quoted delimiter or brace.

        Such a value is split exactly at its braces and delimiters, since PostgreSQL arrays are
        rectangular (every sub-array of one level has as many elements) and none of its elements
        holds a brace or the delimiter. Anything else (an escaped quote or backslash, lower bounds,
        another depth) is parsed on its own.
        """
        depth = self.shape.depth
        bulk = pc.and_not(pc.starts_with(texts, "{" * depth), pc.starts_with(texts, "{" * (depth + 1)))
        bulk = pc.and_not(bulk, pc.match_substring(texts, "\\"))
        quoted = pc.match_substring(texts, '"')
        if pc.any(quoted).as_py():
            d = re.escape(self.shape.delimiter)
            plain = pc.match_substring_regex(texts, '^[^"]*(?:"[^"{}' + d + ']*"[^"]*)*$')
            bulk = pc.and_(bulk, plain)
        return pc.fill_null(pc.or_(bulk, pc.equal(texts, "{}")), False)

    def _split(self, texts: pa.Array) -> pa.Array:
        """Values `_bulk` takes, in bulk: strip the outer braces, then split level by level.

        Level k of a d-deep array separates its sub-arrays by `}` * (d - k), the delimiter and
        `{` * (d - k): `{{1,2},{3,4}}` is `1,2},{3,4` split at `},{`, then each part at `,`.
        Quoted elements lose their quotes (they hold no escapes here); an unquoted NULL is NULL.
        """
        depth, delimiter = self.shape.depth, self.shape.delimiter
        current = pc.utf8_slice_codeunits(texts, depth, -depth)
        # `{}` is an empty list: no element at all, not one empty text.
        empty = pc.equal(texts, "{}")
        if pc.any(empty).as_py():
            current = pc.if_else(empty, pa.scalar(None, pa.string()), current)
        levels = []
        for level in range(1, depth + 1):
            parts = pc.split_pattern(current, "}" * (depth - level) + delimiter + "{" * (depth - level))
            levels.append(parts)
            current = parts.flatten()
        quoted = pc.starts_with(current, '"')
        if pc.any(quoted).as_py():
            null = pc.and_not(pc.equal(current, "NULL"), quoted)
            current = pc.if_else(quoted, pc.utf8_slice_codeunits(current, 1, -1), current)
        else:
            null = pc.equal(current, "NULL")
        nested: pa.Array = pc.if_else(null, pa.scalar(None, pa.string()), current)
        for level, parts in reversed(list(enumerate(levels))):
            # The outermost level's NULL lists are NULL arrays; `{}` is a list without elements.
            nested = _wrap(parts, nested, pc.is_null(texts) if level == 0 else None)
        return nested

    def _parse(self, text: str) -> list[object]:
        bounds, depth, elements = parse_array(text, self._tokens)
        if depth not in (0, self.shape.depth):
            raise _Unfit(
                f"it has {depth} dimension(s), and the column lands as {self.shape.depth}-dimensional lists "
                f"(its declared dimensions; declare them with ALTER TABLE … TYPE {self.shape.element_type}"
                f"{'[]' * depth} to land such values)"
            )
        if bounds is not None:
            raise _Unfit(f"its lower bounds {bounds} are not 1, and a list has none", elements)
        return elements

    def _check_elements(self, strings: pa.Array, texts: pa.Array, rejected: dict[int, Rejected]) -> pa.Array:
        """Elements no destination holds: the policy decides, per value holding one."""
        rule = self._rule
        if rule is None:
            return strings
        strings = _rebuild(strings, _leaves(strings))  # compact, so parent indices and leaves agree
        leaves = _leaves(strings)
        bad = pc.fill_null(rule.bad(leaves), False)
        if not pc.any(bad).as_py():
            return strings
        positions = pc.indices_nonzero(bad).to_pylist()
        rows = _rows_of_leaves(strings).take(pa.array(positions, pa.int64())).to_pylist()
        found: dict[int, list[str]] = {}
        for row, position in zip(rows, positions):
            found.setdefault(row, []).append(leaves[position].as_py())
        for row, elements in found.items():
            if row in rejected:
                continue
            text = texts[row].as_py()
            reason = rule.reason(elements[0])
            if self.policy == "coerce":
                changes = dict.fromkeys(f"{element} to {rule.nearest(element) or 'NULL'}" for element in elements)
                self._reject(rejected, row, text, reason, f"set element {', '.join(changes)}")
            else:
                self._reject(rejected, row, text, reason, "set to NULL")
        nearest = [rule.nearest(leaves[p].as_py()) if self.policy == "coerce" else None for p in positions]
        replaced = pc.replace_with_mask(leaves, bad, pa.array(nearest, pa.string()))
        return _rebuild(strings, replaced)

    def _reject(self, rejected: dict[int, Rejected], row: int, text: str, reason: str, action: str) -> None:
        if self.policy == "fail":
            quoted = text if len(text) <= QUOTED_CHARS else f"{text[:QUOTED_CHARS]}…"
            raise UnrepresentableValueError(
                f"table {self.table}, column {self.column.name} ({self.column.source_type}): the value {quoted} "
                f"cannot land as {self.shape.arrow_type}: {reason}. Nothing was landed for this run; fix the value "
                "at the source, or set the table's `unrepresentable` policy to quarantine or coerce."
            )
        rejected.setdefault(row, Rejected(row, text, reason, action))

    def _convert_leaves(self, leaves: pa.Array) -> pa.Array:
        element = self.shape.element
        if pa.types.is_string(element):
            return leaves
        if len(leaves) == 0:
            return pa.array([], element)
        if pa.types.is_binary(element):
            # Imported here: postgres.py imports this module.
            from .postgres import _decode_hex_bytea

            return _decode_hex_bytea(leaves)
        if pa.types.is_boolean(element) or pa.types.is_time(element):
            # No cast from text: t/f and times go through pyarrow's CSV reader.
            return _csv_convert(leaves, element)
        # Arrow's own text parsing, the one its CSV reader applies to these types, at a tenth of its cost.
        return pc.cast(leaves, element)


def _leaves(lists: pa.Array) -> pa.Array:
    """The innermost values of nested lists, in order, NULL lists contributing none."""
    values = lists
    while pa.types.is_list(values.type):
        values = values.flatten()
    return values


def _rows_of_leaves(lists: pa.Array) -> pa.Array:
    """For each innermost value (as `_leaves` orders them), the row it belongs to."""
    parents = pc.list_parent_indices(lists)
    child = lists.flatten()
    while pa.types.is_list(child.type):
        parents = parents.take(pc.list_parent_indices(child))
        child = child.flatten()
    return parents


def _wrap(parts: pa.Array, values: pa.Array, mask: pa.Array | None) -> pa.Array:
    """`values` (one per value of `parts`, in order) as lists shaped like `parts`; NULL where `mask` says.

    `parts` is fresh from a kernel: it starts at offset 0 and a NULL list owns no values.
    """
    if parts.offset != 0:
        return _rebuild(parts, values)
    if mask is None and parts.null_count:
        mask = pc.is_null(parts)
    return pa.ListArray.from_arrays(parts.offsets, values, mask=mask)


def _rebuild(lists: pa.Array, leaves: pa.Array) -> pa.Array:
    """`lists` with its innermost values replaced by `leaves` (same count, same order as `_leaves`).

    Offsets are rebuilt from each list's length, a NULL list owning no values: what flatten() keeps.
    """
    if not pa.types.is_list(lists.type):
        return leaves
    sizes = pc.fill_null(pc.list_value_length(lists), 0)
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(sizes).cast(pa.int32())])
    inner = _rebuild(lists.flatten(), leaves)
    return pa.ListArray.from_arrays(offsets, inner, mask=pc.is_null(lists) if lists.null_count else None)


def _csv_convert(leaves: pa.Array, element: pa.DataType) -> pa.Array:
    """Element texts to `element` by the CSV reader's own conversion, as the scalar columns are read."""
    lines = pc.binary_join_element_wise(pc.fill_null(leaves, ""), pa.scalar(""), "\n")
    offsets = pa.Array.from_buffers(pa.int32(), len(lines) + 1, [None, lines.buffers()[1]], offset=lines.offset)
    first, last = offsets[0].as_py(), offsets[-1].as_py()
    data = lines.buffers()[2].slice(first, last - first)
    table = pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=["v"], use_threads=True),
        parse_options=pacsv.ParseOptions(quote_char=False, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={"v": element}, null_values=[""], strings_can_be_null=True, true_values=["t"],
            false_values=["f"],
        ),
    )
    return table.column("v").combine_chunks()

