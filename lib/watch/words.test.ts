import { describe, expect, it } from 'vitest';
import { describeRows, said } from './words';

const E = '0200.065.765';
const words = (...args: Parameters<typeof describeRows>) => describeRows(...args).map(said);

describe('a match in words', () => {
  it('says a field of a one-row table before and after', () => {
    expect(
      describeRows({ table: 'enterprises', entity: E, ended: [{ enterprise_number: E, status: 'AC', juridical_form: '014' }], started: [{ enterprise_number: E, status: 'ST', juridical_form: '014' }] }),
    ).toEqual([{ table: 'enterprises', entity: E, field: 'status', before: 'AC', after: 'ST', text: 'status AC → ST' }]);
  });

  it('says a name replaced, a seat moved, a contact changed, as one change each', () => {
    expect(
      words({
        table: 'denominations',
        entity: E,
        ended: [{ entity_number: E, language: '2', type_of_denomination: '001', denomination: 'Old' }],
        started: [{ entity_number: E, language: '2', type_of_denomination: '001', denomination: 'New' }],
      }),
    ).toEqual(['name "Old" → "New"']);
    expect(
      words({
        table: 'addresses',
        entity: E,
        ended: [{ type_of_address: 'REGO', zipcode: '9000', municipality_nl: 'Gent', street_nl: 'Veldstraat', house_number: '1', box: 'A' }],
        started: [{ type_of_address: 'REGO', zipcode: '3000', municipality_nl: 'Leuven', street_nl: 'Kerkstraat', house_number: '249', country_nl: null }],
      }),
    ).toEqual(['seat moved from Veldstraat 1 box A, 9000 Gent to Kerkstraat 249, 3000 Leuven']);
    expect(words({ table: 'contacts', entity: E, ended: [{ entity_contact: 'ENT', contact_type: 'EMAIL', value: 'a@x.be' }], started: [{ entity_contact: 'ENT', contact_type: 'EMAIL', value: 'b@x.be' }] })).toEqual([
      'contact EMAIL a@x.be → b@x.be',
    ]);
  });

  it('says rows added and ended, an establishment’s as its own, and an establishment opened or closed', () => {
    expect(
      words({
        table: 'activities',
        entity: E,
        ended: [{ activity_group: '001', nace_version: '2008', nace_code: '47730', classification: 'MAIN' }],
        started: [{ activity_group: '001', nace_version: '2025', nace_code: '47730', classification: 'SECO' }],
      }),
    ).toEqual(['activity 47730 (NACE 2008, main) ended', 'activity 47730 (NACE 2025) added']);
    expect(words({ table: 'addresses', entity: '2.123.456.789', ended: [{ type_of_address: 'BAET', zipcode: '1000', municipality_nl: 'Brussel' }], started: [] }, E)).toEqual([
      'establishment 2.123.456.789: establishment address 1000 Brussel ended',
    ]);
    expect(words({ table: 'establishments', entity: '2.123.456.789', ended: [], started: [{ establishment_number: '2.123.456.789', start_date: '2025-06-02', enterprise_number: E }] }, E)).toEqual([
      'establishment 2.123.456.789 opened (since 2025-06-02)',
    ]);
    expect(words({ table: 'enterprises', entity: E, ended: [{ enterprise_number: E, status: 'AC' }], started: [] })).toEqual([`enterprise ${E} ended in the register`]);
    // Two names of different kinds are not one replaced: each is said.
    expect(
      words({
        table: 'denominations',
        entity: E,
        ended: [{ language: '2', type_of_denomination: '001', denomination: 'A' }],
        started: [{ language: '2', type_of_denomination: '003', denomination: 'B' }],
      }),
    ).toEqual(['name "A" ended', 'commercial name "B" added']);
  });

  it('says a branch’s rows as its own, and what changed of an address at the same place', () => {
    expect(words({ table: 'addresses', entity: '9.000.000.092', ended: [], started: [{ type_of_address: 'ABBR', zipcode: '1000', municipality_nl: 'Brussel' }] }, E)).toEqual([
      'branch 9.000.000.092: branch address 1000 Brussel added',
    ]);
    expect(
      words({
        table: 'addresses',
        entity: E,
        ended: [{ type_of_address: 'REGO', zipcode: '3000', municipality_nl: 'Leuven', street_nl: 'Kerkstraat', house_number: '1', date_striking_off: null }],
        started: [{ type_of_address: 'REGO', zipcode: '3000', municipality_nl: 'Leuven', street_nl: 'Kerkstraat', house_number: '1', date_striking_off: '2025-06-02' }],
      }),
    ).toEqual(['seat Kerkstraat 1, 3000 Leuven: date striking off ∅ → 2025-06-02']);
  });

  it('reads changes written before the words were', () => {
    expect(said({ table: 'enterprises', field: 'status', before: 'AC', after: 'ST' })).toBe('enterprises.status AC → ST');
    expect(said({ table: 'contacts', after: 'value: x' })).toBe('contacts + value: x');
  });
});
