import { fileName, keyOfFileName } from '../../state/local-layout.js';

describe('State: file names of the local store', () => {
  it.each([
    ['clr/clr.availed_coupon_snapshots', 'clr%2fclr.availed_coupon_snapshots'],
    ['r20251105T120000Z-0a1b2c', 'r20251105^t120000^z-0a1b2c'],
    ['..', '%2e.'],
    ['sales."Q1 totals"', 'sales.%22^q1%20totals%22'],
    ['café', 'caf%c3%a9'],
    ['100%^~', '100%25%5e%7e'],
  ])('names %j %j, and reads the key back', (key, name) => {
    // Act
    const made = fileName(key);

    // Assess
    expect(made).toBe(name);
    expect(keyOfFileName(made)).toBe(key);
  });

  it('gives keys that differ only in case names that differ in more than case', () => {
    // Act
    const names = ['Users', 'users', 'USERS'].map(fileName);

    // Assess
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(3);
  });

  it('cuts a name past 200 characters and ends it in a hash of the whole key, which cannot be read back', () => {
    // Prepare
    const long = (last: string) => `clr/${'é'.repeat(60)}${last}`;

    // Act
    const [a, b] = [fileName(long('a')), fileName(long('b'))];

    // Assess
    expect(a.length).toBeLessThanOrEqual(200);
    expect(a).toMatch(/^clr%2f(%[0-9a-f]{2})+~[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    expect(keyOfFileName(a)).toBeNull();
  });
});
