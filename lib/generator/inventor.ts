import type { DataTableName } from '../kbo/spec';
import { formatEnterprise, formatEstablishment, withMod97 } from '../kbo/values';
import type { Row } from './dialect';

/** A small seeded generator (mulberry32's mixing): the same seed, the same sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STREETS = ['Kerkstraat', 'Rue de la Station', 'Stationsstraat', 'Chaussée de Louvain', 'Dorpsstraat', 'Grote Markt'];
const TOWNS: [string, string, string][] = [
  ['1000', 'Brussel', 'Bruxelles'],
  ['2000', 'Antwerpen', 'Anvers'],
  ['9000', 'Gent', 'Gand'],
  ['4000', 'Luik', 'Liège'],
  ['3000', 'Leuven', 'Louvain'],
];
const NAMES = ['Janssens', 'Peeters', 'Maes', 'Dubois', 'Lambert', 'Dupont', 'Claes', 'Willems', 'Mertens', 'Leroy'];
// Codes the real code table holds under both NACE 2008 and NACE 2025 (test/fixtures/kbo), so
// the samples, which ship that table, show a text for every activity.
const NACE = ['69201', '47730', '56210', '43320', '86210', '68201', '10711', '55100', '49410', '01110'];

/**
 * Makes up the register's content from one seeded sequence: numbers (valid mod-97, issued in
 * increasing order per kind), names with the dialect's quoted commas and quotes, addresses,
 * activities, whole enterprises, and the code table. The model draws every choice from it, so
 * one seed gives one series of extracts.
 */
export class Inventor {
  readonly rnd: () => number;
  private nextEnterprise = 0;
  private nextEstablishment = 0;
  private nextBranch = 0;
  private corrections = 0;

  constructor(seed: number) {
    this.rnd = prng(seed);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)] as T;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  date(): string {
    const y = this.int(1960, 2025);
    return `${y}-${String(this.int(1, 12)).padStart(2, '0')}-${String(this.int(1, 28)).padStart(2, '0')}`;
  }

  private enterpriseNumber(): string {
    return formatEnterprise(withMod97(2_000_000 + 7 * this.nextEnterprise++));
  }
  private establishmentNumber(): string {
    return formatEstablishment(withMod97(20_000_000 + 3 * this.nextEstablishment++));
  }
  private branchId(): string {
    return formatEstablishment(withMod97(90_000_000 + 11 * this.nextBranch++));
  }

  name(): string {
    const a = this.pick(NAMES);
    const r = this.rnd();
    if (r < 0.2) return `${a}, ${this.pick(NAMES)}`; // a quoted comma, like "Callebaut, Brenda"
    if (r < 0.3) return `Bistro "${a}"`; // an embedded quote, written as ""
    return `${a} ${this.pick(['BV', 'NV', 'SRL', 'VZW', '& Zonen'])}`;
  }

  activitiesFor(entity: string, count: number): Row[] {
    // Distinct codes per entity: the only duplicates are the ones placed on purpose.
    const start = this.int(0, NACE.length - 1);
    const rows: Row[] = [];
    for (let i = 0; i < Math.min(count, NACE.length); i++) {
      rows.push([entity, this.pick(['001', '003', '006']), this.pick(['2008', '2025']), NACE[(start + i) % NACE.length] as string, i === 0 ? 'MAIN' : 'SECO']);
    }
    return rows;
  }

  addressFor(entity: string, type: string): Row {
    const [zip, nl, fr] = this.pick(TOWNS);
    const street = this.pick(STREETS);
    const box = this.rnd() < 0.3 ? String(this.int(1, 30)) : null;
    return [entity, type, null, null, zip, nl, fr, street, street, String(this.int(1, 250)), box, null, null];
  }

  /** All rows of one new enterprise (and its establishments and branches), per table. */
  newEnterprise(): Partial<Record<DataTableName, Row[]>> {
    const n = this.enterpriseNumber();
    const natural = this.rnd() < 0.4;
    const out: Record<DataTableName, Row[]> = {
      enterprises: [[n, 'AC', '000', natural ? '1' : '2', natural ? null : this.pick(['014', '015', '017', '610']), null, this.date()]],
      establishments: [],
      denominations: [[n, this.pick(['1', '2']), '001', this.name()]],
      addresses: [this.addressFor(n, 'REGO')],
      contacts: [],
      activities: this.activitiesFor(n, this.int(1, 8)),
      branches: [],
    };
    if (this.rnd() < 0.3) out.denominations.push([n, this.pick(['1', '2', '0']), '003', this.name()]);
    if (this.rnd() < 0.35) out.contacts.push([n, 'ENT', this.pick(['TEL', 'EMAIL', 'WEB']), `info@${n.replaceAll('.', '')}.be`]);
    const establishments = natural ? this.int(0, 1) : this.int(0, 2);
    for (let i = 0; i < establishments; i++) {
      const e = this.establishmentNumber();
      out.establishments.push([e, this.date(), n]);
      if (this.rnd() < 0.5) out.denominations.push([e, '2', '003', this.name()]);
      out.addresses.push(this.addressFor(e, 'BAET'));
      out.activities.push(...this.activitiesFor(e, this.int(0, 4)));
    }
    if (this.rnd() < 0.02) {
      const b = this.branchId();
      out.branches.push([b, this.date(), n]);
      out.denominations.push([b, '1', '004', this.name()]);
    }
    return out;
  }

  /** The code table of extract `version`: one NACE text changes with each version. */
  codes(version: number): Row[] {
    const rows: Row[] = [];
    for (const lang of ['FR', 'NL']) {
      rows.push(['Language', '1', lang, lang === 'FR' ? 'français' : 'Frans']);
      rows.push(['Language', '2', lang, lang === 'FR' ? 'néerlandais' : 'Nederlands']);
      rows.push(['TypeOfDenomination', '001', lang, lang === 'FR' ? 'Dénomination' : 'Naam']);
      rows.push(['JuridicalForm', '014', lang, lang === 'FR' ? 'Société anonyme, "SA"' : 'Naamloze vennootschap']);
      for (const nace of NACE) rows.push(['Nace2025', nace, lang, `Activity ${nace} (${lang}) v${nace === NACE[version % NACE.length] ? version : 0}`]);
    }
    return rows;
  }

  /** A number for the next correction, so that every corrected value differs. */
  correction(): number {
    return ++this.corrections;
  }
}
