import { keyObject } from '../../check/key-object.js';

describe('floe check: keys as values', () => {
  it('names each key column and gives numbers as numbers, unless a JSON number would round them', () => {
    // Prepare
    const key = [
      { name: 'id', kind: 'integer' as const }, { name: 'big', kind: 'integer' as const }, { name: 'amount', kind: 'fixed decimal' as const },
      { name: 'wide', kind: 'decimal' as const }, { name: 'region', kind: 'text' as const }, { name: 'at', kind: 'timestamptz' as const },
    ];
    const text = ['V42', 'V9007199254740993', 'V12.50', 'V0.1000000000000000055511151231257827', 'V007', 'N'].join('\u001f');

    // Act
    const object = keyObject(text, key);

    // Assess
    expect(object).toEqual({ id: 42, big: '9007199254740993', amount: 12.5, wide: '0.1000000000000000055511151231257827', region: '007', at: null });
    expect(JSON.stringify(object)).toBe('{"id":42,"big":"9007199254740993","amount":12.5,"wide":"0.1000000000000000055511151231257827","region":"007","at":null}');
  });
});
