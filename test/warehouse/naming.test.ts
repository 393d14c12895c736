import { warehouseTableName } from '../../config/warehouse-table-name.js';
import { rawTableFor, stagingTableFor } from '../../warehouse/naming.js';
import { quoteIdentifier, quoteQualifiedName } from '../../warehouse/quote.js';

describe('Warehouse: quoteIdentifier', () => {
  it('wraps names in double quotes and doubles the quotes inside', () => {
    // Prepare
    const names = ['orders', 'select', 'say "hi"', 'größe m²', 'with space'];

    // Act
    const quoted = names.map(quoteIdentifier);

    // Assess
    expect(quoted).toEqual(['"orders"', '"select"', '"say ""hi"""', '"größe m²"', '"with space"']);
  });

  it('refuses an empty name', () => {
    // Prepare, Act, Assess
    expect(() => quoteIdentifier('')).toThrow('cannot be empty');
  });
});

describe('Warehouse: naming rule', () => {
  it('prefixes the source and replaces dots so schema-qualified tables never collide', () => {
    // Prepare
    const cases: [string, string][] = [['clr', 'clr.users'], ['shop', 'orders'], ['crm', 'clr.users']];

    // Act
    const names = cases.map(([source, table]) => warehouseTableName(source, table));

    // Assess
    expect(names).toEqual(['clr__clr__users', 'shop__orders', 'crm__clr__users']);
  });

  it('puts raw and staging tables in their own schemas under the same name', () => {
    // Prepare, Act
    const raw = quoteQualifiedName(rawTableFor('clr', 'clr.users'));
    const staging = quoteQualifiedName(stagingTableFor('shop', 'orders'));

    // Assess
    expect(raw).toBe('"raw"."clr__clr__users"');
    expect(staging).toBe('"staging"."shop__orders"');
  });
});
