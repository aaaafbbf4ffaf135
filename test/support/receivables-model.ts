/**
 * The receivables rules written out plainly, in memory, as a reference the
 * property tests hold the database to. Written from the rules (issue 14,
 * decision 0018), not from the ledger's code: a credit goes to the invoices
 * named, then to open invoices oldest due first (then oldest date, then id);
 * a new invoice takes open credit oldest first (by date, then id); an
 * allocation counts from the later of its two entries' dates; aging as of D
 * counts entries dated by D less allocations dated by D.
 */
import { daysBetween, type IsoDate } from '../../src/shared/dates.js';

export type Side = 'charge' | 'credit';

export interface ModelAllocation {
  readonly chargeId: number;
  readonly creditId: number;
  readonly amountCents: number;
  readonly effectiveOn: IsoDate;
}

interface Item {
  readonly id: number;
  readonly side: Side;
  readonly effectiveOn: IsoDate;
  /** A charge's due date; a credit's own date. */
  readonly dueOn: IsoDate;
  readonly amountCents: number;
  openCents: number;
}

/** Figures in the order current, 1–30, 31–60, 61–90, over 90, credit, total. */
export type Figures = [number, number, number, number, number, number, number];

export class ReceivablesModel {
  private readonly items: Item[] = [];
  private readonly allocations: ModelAllocation[] = [];

  /**
   * Records an entry the database has recorded (with its id): `amountCents`
   * signed as the balance moves (charge +, payment −, adjustment its sign).
   * Returns the allocations the rules make, in the order they are made.
   */
  record(entry: { id: number; effect: number; effectiveOn: IsoDate; dueOn: IsoDate | null }, named: readonly { chargeId: number; amountCents: number }[] = []): ModelAllocation[] {
    const side: Side = entry.effect > 0 ? 'charge' : 'credit';
    const self: Item = { id: entry.id, side, effectiveOn: entry.effectiveOn, dueOn: entry.dueOn ?? entry.effectiveOn, amountCents: Math.abs(entry.effect), openCents: Math.abs(entry.effect) };
    this.items.push(self);
    const made: ModelAllocation[] = [];
    const apply = (other: Item, amountCents: number) => {
      const [charge, credit] = side === 'charge' ? [self, other] : [other, self];
      const allocation = { chargeId: charge.id, creditId: credit.id, amountCents, effectiveOn: charge.effectiveOn > credit.effectiveOn ? charge.effectiveOn : credit.effectiveOn };
      charge.openCents -= amountCents;
      credit.openCents -= amountCents;
      made.push(allocation);
    };
    for (const { chargeId, amountCents } of named) {
      const charge = this.items.find((item) => item.id === chargeId);
      if (!charge || charge.side !== 'charge' || charge.openCents < amountCents) throw new Error(`the model cannot apply ${amountCents} to ${chargeId}`);
      apply(charge, amountCents);
    }
    const queue = this.items
      .filter((item) => item.side !== side && item.openCents > 0)
      .sort((a, b) => compare(a.dueOn, b.dueOn) || compare(a.effectiveOn, b.effectiveOn) || a.id - b.id);
    for (const other of queue) {
      if (self.openCents === 0) break;
      apply(other, Math.min(other.openCents, self.openCents));
    }
    this.allocations.push(...made);
    return made;
  }

  /** Open invoices now, oldest recorded first. */
  openCharges(): { id: number; openCents: number }[] {
    return this.items.filter((item) => item.side === 'charge' && item.openCents > 0).map(({ id, openCents }) => ({ id, openCents }));
  }

  /** Every allocation made so far. */
  allAllocations(): readonly ModelAllocation[] {
    return this.allocations;
  }

  /** The balance (due − paid) of the entries dated on or before `asOf`. */
  balanceAsOf(asOf: IsoDate): number {
    return this.items.filter((item) => item.effectiveOn <= asOf).reduce((sum, item) => sum + (item.side === 'charge' ? item.amountCents : -item.amountCents), 0);
  }

  /** Aging as of `asOf`: each item dated by then, less its allocations dated by then, by days past due. */
  agingAsOf(asOf: IsoDate): Figures {
    const figures: Figures = [0, 0, 0, 0, 0, 0, 0];
    for (const item of this.items) {
      if (item.effectiveOn > asOf) continue;
      const applied = this.allocations
        .filter((allocation) => (item.side === 'charge' ? allocation.chargeId : allocation.creditId) === item.id && allocation.effectiveOn <= asOf)
        .reduce((sum, allocation) => sum + allocation.amountCents, 0);
      const open = item.amountCents - applied;
      if (item.side === 'credit') {
        figures[5] -= open;
        continue;
      }
      const late = daysBetween(item.dueOn, asOf);
      const bucket = late <= 0 ? 0 : late <= 30 ? 1 : late <= 60 ? 2 : late <= 90 ? 3 : 4;
      figures[bucket] += open;
    }
    figures[6] = figures.slice(0, 6).reduce((sum, figure) => sum + figure, 0);
    // No −0 from a credit of 0: figures compare with deepEqual.
    return figures.map((figure) => figure + 0) as Figures;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
