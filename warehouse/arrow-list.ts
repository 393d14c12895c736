/**
 * An Arrow list type as the manifest prints it (pyarrow's `str(type)`): `list<item: int32>`, nested
 * `list<item: list<item: int32>>`, `large_list<…>`, an element field of any name, `not null` or not.
 * PostgreSQL arrays land so (glue/floe_extract/sources/postgres_arrays.py); each warehouse maps the
 * element type and the depth to its own array type.
 */
export interface ArrowList {
  /** The innermost element's Arrow type, e.g. `int32`, `decimal128(10, 2)`. */
  readonly element: string;
  /** How many lists deep: 1 for `integer[]`, 2 for `integer[][]`. */
  readonly depth: number;
}

const LIST = /^(?:large_)?list<[^:<>]+: (.*)>$/;

/**
 * The element type and depth of an Arrow list type, or null for any other type.
 *
 * @example arrowListOf('list<item: list<item: int32>>') // { element: 'int32', depth: 2 }
 * @example arrowListOf('int32') // null
 */
export function arrowListOf(arrowType: string): ArrowList | null {
  let type = arrowType.trim();
  let depth = 0;
  for (let match = LIST.exec(type); match !== null; match = LIST.exec(type)) {
    type = (match[1] ?? '').trim().replace(/\s+not null$/, '');
    depth += 1;
  }
  return depth === 0 ? null : { element: type, depth };
}
