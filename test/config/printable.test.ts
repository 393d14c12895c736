import { printable, printableJson } from '../../config/printable.js';

describe('printable: text from outside floe, safe for a terminal and a SQL comment', () => {
  it.each([
    ['line\nbreak', 'line\\nbreak'],
    ['carriage\rreturn\ttab', 'carriage\\rreturn\\ttab'],
    ['\u001b[2J\u001b]0;pwned\u0007', '\\x1b[2J\\x1b]0;pwned\\x07'],
    ['del\u007f and C1 CSI \u009b31m', 'del\\x7f and C1 CSI \\x9b31m'],
    ['bidi \u202eevil\u2066', 'bidi \\u202eevil\\u2066'],
    ['NUL\u0000', 'NUL\\x00'],
  ])('escapes the controls of %j visibly', (text, expected) => {
    expect(printable(text)).toBe(expected);
  });

  it('leaves ordinary names as they are, backslashes, quotes and accents included', () => {
    const names = ['clr.availed_coupon_snapshots', 'we"ird', "it's", 'a\\b', 'Größe 📦', 'x"; drop table canary; --'];

    expect(names.map(printable)).toEqual(names);
  });

  it('keeps JSON valid and equal while escaping what JSON.stringify leaves raw', () => {
    // Prepare
    const value = { key: ['\u001b[31m', 'C1 \u009b', 'bidi \u202e', 'del \u007f'], n: 1 };

    // Act
    const pretty = printableJson(JSON.stringify(value, null, 2));
    const line = printableJson(JSON.stringify(value));

    // Assess
    for (const text of [pretty, line]) {
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
      expect(JSON.parse(text)).toEqual(value);
    }
    expect(pretty.split('\n')).toHaveLength(JSON.stringify(value, null, 2).split('\n').length);
  });
});
