/**
 * PostgreSQL's array text (`{1,NULL,"a b"}`, `{{1,2},{3,4}}`) split into nested lists of element
 * texts, NULL elements as null: each element exactly as the element type's output function printed
 * it. Written apart from the extraction job's parser (glue/floe_extract/sources/postgres_arrays.py)
 * so the type matrix does not check that parser against itself. Array output quotes an element
 * holding braces, the delimiter, quotes, backslashes or white space, and the empty and `NULL` texts,
 * escaping `"` and `\` with a backslash (https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO).
 */
export type ArrayElements = (string | null | ArrayElements)[];

export function pgArrayElements(text: string, delimiter = ','): ArrayElements {
  if (text.startsWith('[')) throw new Error(`array text with lower bounds is not expected here: ${text}`);
  const stack: ArrayElements[] = [];
  let root: ArrayElements = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === '{') {
      const list: ArrayElements = [];
      if (stack.length > 0) stack[stack.length - 1]?.push(list);
      else root = list;
      stack.push(list);
      index += 1;
    } else if (char === '}') {
      stack.pop();
      index += 1;
    } else if (char === delimiter) {
      index += 1;
    } else if (char === '"') {
      let value = '';
      index += 1;
      while (text[index] !== '"') {
        if (text[index] === '\\') index += 1;
        value += text[index];
        index += 1;
      }
      stack[stack.length - 1]?.push(value);
      index += 1;
    } else {
      let end = index;
      while (end < text.length && text[end] !== delimiter && text[end] !== '}') end += 1;
      const value = text.slice(index, end);
      stack[stack.length - 1]?.push(value === 'NULL' ? null : value);
      index = end;
    }
  }
  return root;
}
