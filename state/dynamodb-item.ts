import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * JSON values to DynamoDB attribute values and back. The state items are plain
 * JSON (strings, integers, booleans, null, lists, maps), so this small codec is
 * all the store needs; `undefined` properties are left out, as JSON would.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export function toAttribute(value: Json): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toAttribute) };
  return { M: toItem(value) };
}

/** A map item from an object, skipping `undefined` properties. */
export function toItem(value: object): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== undefined) item[key] = toAttribute(field as Json);
  }
  return item;
}

export function fromAttribute(attribute: AttributeValue): Json {
  if (attribute.NULL !== undefined) return null;
  if (attribute.S !== undefined) return attribute.S;
  if (attribute.N !== undefined) return Number(attribute.N);
  if (attribute.BOOL !== undefined) return attribute.BOOL;
  if (attribute.L !== undefined) return attribute.L.map(fromAttribute);
  if (attribute.M !== undefined) return fromItem(attribute.M);
  throw new TypeError(`unsupported DynamoDB attribute type ${Object.keys(attribute).join(', ')}; floe writes only S, N, BOOL, NULL, L and M`);
}

export function fromItem(item: Record<string, AttributeValue>): { [key: string]: Json } {
  const value: { [key: string]: Json } = {};
  for (const [key, attribute] of Object.entries(item)) value[key] = fromAttribute(attribute);
  return value;
}
