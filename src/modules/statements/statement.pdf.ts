import PDFDocument from 'pdfkit';
import { amount, businessDate } from '../../platform/views/format.js';
import { addCents, CURRENCY, negateCents, ZERO_CENTS, type Cents } from '../../shared/money.js';
import { AGING_BUCKETS, balanceEffect, type AgingFigures } from '../ledger/index.js';
import { pdfText } from './pdf-text.js';
import type { Statement, StatementLine } from './statement.js';

/** Who sends the statement (COMPANY_NAME, COMPANY_ADDRESS). */
export interface Company {
  readonly name: string;
  readonly addressLines: readonly string[];
}

// US Letter in points (1/72 inch), as a US business prints it.
const PAGE_WIDTH = 612;
const PAGE_HEIGHT = 792;
const MARGIN = 48;
const RIGHT = PAGE_WIDTH - MARGIN;
const CONTENT_WIDTH = RIGHT - MARGIN;
/** Where content stops; the footer sits below. */
const CONTENT_BOTTOM = PAGE_HEIGHT - 60;
const FOOTER_Y = PAGE_HEIGHT - 40;

const INK = '#1b1f24';
const MUTED = '#5a6370';
const RULE = '#d6dbe1';
const FILL = '#f1f4f7';
const ACCENT = '#1d4e89';
/** Only amounts that are overdue. */
const OVERDUE = '#a4260b';

const REGULAR = 'Helvetica';
const BOLD = 'Helvetica-Bold';

const ROW_HEIGHT = 17;
const CELL_PADDING = 5;
const TABLE_SIZE = 8.5;

interface TextStyle {
  readonly font?: string;
  readonly size?: number;
  readonly color?: string;
}

interface Column {
  readonly title: string;
  /** Points; 0 takes what the others leave. */
  readonly width: number;
  readonly align?: 'left' | 'right';
  /** Dates and figures shrink to fit rather than lose characters. */
  readonly shrink?: boolean;
}

interface Row {
  /** null: the cell to the left runs on over this one. */
  readonly cells: readonly (string | null)[];
  readonly bold?: boolean;
  readonly shaded?: boolean;
  /** A colour per cell, where one differs. */
  readonly colors?: readonly (string | undefined)[];
}

const KIND_NAMES = { charge: 'Invoice', payment: 'Payment' } as const;

function kindName(line: StatementLine): string {
  if (line.kind === 'adjustment') return line.amountCents < 0 ? 'Credit' : 'Adjustment';
  return KIND_NAMES[line.kind];
}

/** Dates repeat down a statement's columns: each is formatted once a statement (Intl is slow next to a Map). */
function dayFormatter(): (date: string) => string {
  const shown = new Map<string, string>();
  return (date) => {
    let text = shown.get(date);
    if (text === undefined) {
      text = businessDate(date);
      shown.set(date, text);
    }
    return text;
  };
}

/**
 * Draws a statement with pdfkit: a cursor moving down the page, tables that
 * continue on a new page under their repeated header, and every string cut
 * down to what the standard fonts show (pdfText). Positions are computed
 * here (lineBreak: false), so pdfkit never breaks a page on its own.
 */
class StatementLayout {
  readonly doc: PDFKit.PDFDocument;
  readonly day = dayFormatter();
  y = MARGIN;

  constructor(
    private readonly statement: Statement,
    private readonly company: Company,
  ) {
    const { acctid } = statement.account;
    this.doc = new PDFDocument({
      size: [PAGE_WIDTH, PAGE_HEIGHT],
      margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
      bufferPages: true,
      info: { Title: pdfText(`Statement ${acctid} ${statement.period.to}`), Author: pdfText(company.name), Subject: pdfText(`Statement for ${acctid}, ${statement.period.from} to ${statement.period.to}`), Creator: 'Globomantics CRM' },
    });
  }

  /** The period as people read it: "Nov 1, 2026 – Nov 30, 2026". */
  period(): string {
    return `${this.day(this.statement.period.from)} – ${this.day(this.statement.period.to)}`;
  }

  /** Text at (x, y) on one line; within `width` when given: text ends in "…", figures shrink to fit. */
  text(value: string, x: number, y: number, { font = REGULAR, size = 9, color = INK }: TextStyle = {}, width?: number, align: 'left' | 'right' = 'left', shrink = false): void {
    const { doc } = this;
    let shown = pdfText(value);
    let fontSize = size;
    doc.font(font).fontSize(fontSize);
    // Measured once: a width scales with the font size.
    let shownWidth = width === undefined && align === 'left' ? 0 : doc.widthOfString(shown);
    if (width !== undefined && shownWidth > width) {
      if (shrink) {
        fontSize = Math.max(4, (size * width) / shownWidth);
        shownWidth = (shownWidth * fontSize) / size;
        doc.fontSize(fontSize);
      } else {
        while (shown.length > 1 && doc.widthOfString(`${shown}…`) > width) shown = shown.slice(0, -1).trimEnd();
        shown = `${shown}…`;
        shownWidth = doc.widthOfString(shown);
      }
    }
    const left = align === 'right' ? x + (width ?? 0) - shownWidth : x;
    // Smaller figures stay on the row's baseline.
    doc.fillColor(color).text(shown, left, y + (size - fontSize) * 0.75, { lineBreak: false });
  }

  /** Text wrapped within `width` on at most `maxLines` lines (the last ending in "…" when cut); returns the height it took. */
  paragraph(value: string, x: number, y: number, { font = REGULAR, size = 9, color = INK }: TextStyle, width: number, maxLines: number): number {
    const { doc } = this;
    const shown = pdfText(value);
    doc.font(font).fontSize(size).fillColor(color);
    const most = doc.currentLineHeight(true) * maxLines;
    const height = Math.min(doc.heightOfString(shown, { width }), most);
    doc.text(shown, x, y, { width, height: most, ellipsis: true });
    return height;
  }

  rule(y: number, color = RULE, width = 0.6): void {
    this.doc.moveTo(MARGIN, y).lineTo(RIGHT, y).lineWidth(width).strokeColor(color).stroke();
  }

  /** Starts a new page when `height` does not fit on this one; `repeat` draws what continues there (a table's header). */
  room(height: number, repeat?: () => void): void {
    if (this.y + height <= CONTENT_BOTTOM) return;
    this.doc.addPage();
    this.continuationHeader();
    repeat?.();
  }

  // ---------------------------------------------------------------- the parts

  /** Page 1: the company and its address on the left, the title and the statement's facts on the right. */
  header(): void {
    const { statement, company } = this;
    this.text(company.name, MARGIN, MARGIN, { font: BOLD, size: 16 }, 300);
    let left = MARGIN + 22;
    for (const line of company.addressLines) {
      this.text(line, MARGIN, left, { size: 9, color: MUTED }, 300);
      left += 12;
    }
    this.text('Statement', RIGHT - 200, MARGIN - 2, { font: BOLD, size: 22, color: ACCENT }, 200, 'right');
    let right = MARGIN + 30;
    const facts: [string, string][] = [
      ['Statement date', this.day(statement.period.to)],
      ['Account', statement.account.acctid],
      ['Period', this.period()],
    ];
    for (const [label, value] of facts) {
      this.text(label, RIGHT - 220, right, { size: 8.5, color: MUTED }, 70);
      this.text(value, RIGHT - 150, right, { font: BOLD, size: 8.5 }, 150, 'right');
      right += 13;
    }
    this.y = Math.max(left, right) + 10;
    this.rule(this.y, INK, 1);
    this.y += 18;
  }

  /** Later pages: who and which statement, in one quiet line. */
  continuationHeader(): void {
    const { statement, company } = this;
    this.text(company.name, MARGIN, MARGIN, { font: BOLD, size: 9 }, 250);
    this.text(`Statement for ${statement.account.acctid} · ${this.period()}`, RIGHT - 300, MARGIN, { size: 8.5, color: MUTED }, 300, 'right');
    this.y = MARGIN + 16;
    this.rule(this.y);
    this.y += 14;
  }

  /** The customer on the left; on the right the period's summary: opening + charges − credits = closing. */
  customerAndSummary(): void {
    const { statement } = this;
    const top = this.y;
    this.text('STATEMENT FOR', MARGIN, top, { font: BOLD, size: 7.5, color: MUTED });
    // A customer's name is not cut short on their statement: it wraps, smaller when long (200 characters fit).
    this.doc.font(BOLD).fontSize(12);
    const nameSize = this.doc.heightOfString(pdfText(statement.account.name), { width: 250 }) > this.doc.currentLineHeight(true) * 2 ? 10 : 12;
    const nameHeight = this.paragraph(statement.account.name, MARGIN, top + 13, { font: BOLD, size: nameSize }, 250, 6);
    const under = top + 13 + nameHeight + 3;
    this.text(`Account ${statement.account.acctid}`, MARGIN, under, { size: 9, color: MUTED }, 250);
    this.text('Please quote your account number with every payment.', MARGIN, under + 14, { size: 8, color: MUTED }, 250);

    let charges = ZERO_CENTS;
    let credits = ZERO_CENTS;
    for (const line of statement.lines) {
      const effect = balanceEffect(line.kind, line.amountCents);
      if (effect > 0) charges = addCents(charges, effect);
      else credits = addCents(credits, effect);
    }
    const boxWidth = 250;
    const boxX = RIGHT - boxWidth;
    const { closingBalanceCents: closing, openingBalanceCents: opening } = statement;
    const rows: [string, Cents, boolean][] = [
      [`Opening balance, ${this.day(statement.period.from)}`, opening, false],
      ['Charges', charges, false],
      ['Payments and credits', credits, false],
      [closing < 0 ? `Credit balance, ${this.day(statement.period.to)}` : `Balance due, ${this.day(statement.period.to)}`, closing, true],
    ];
    const boxHeight = 30 + rows.length * 15 + 6;
    this.doc.roundedRect(boxX, top - 6, boxWidth, boxHeight, 4).fill(FILL);
    this.text('Summary', boxX + 10, top + 2, { font: BOLD, size: 9 });
    this.text(`Amounts in ${CURRENCY}`, boxX + boxWidth - 110, top + 2, { size: 7.5, color: MUTED }, 100, 'right');
    let y = top + 20;
    for (const [label, cents, total] of rows) {
      if (total) {
        this.doc.moveTo(boxX + 10, y - 3).lineTo(boxX + boxWidth - 10, y - 3).lineWidth(0.6).strokeColor(MUTED).stroke();
        y += 2;
      }
      const style = total ? { font: BOLD, size: 10 } : { size: 9 };
      this.text(label, boxX + 10, y, style, 150);
      this.text(amount(cents), boxX + 160, y, style, boxWidth - 170, 'right', true);
      y += 15;
    }
    this.y = Math.max(under + 24, top - 6 + boxHeight) + 22;
  }

  sectionTitle(title: string, note?: string): void {
    this.text(title, MARGIN, this.y, { font: BOLD, size: 11 });
    if (note !== undefined) this.text(note, RIGHT - 200, this.y + 2, { size: 7.5, color: MUTED }, 200, 'right');
    this.y += 18;
  }

  /** A table: its header, then rows; a row that does not fit goes to the next page under the title and header again. */
  table(title: string, note: string | undefined, columns: readonly Column[], rows: readonly Row[]): void {
    const fixed = columns.reduce((sum, column) => sum + column.width, 0);
    const widths = columns.map((column) => (column.width === 0 ? CONTENT_WIDTH - fixed : column.width));
    const lefts = widths.map((_, index) => MARGIN + widths.slice(0, index).reduce((sum, width) => sum + width, 0));
    const header = () => {
      this.doc.rect(MARGIN, this.y, CONTENT_WIDTH, ROW_HEIGHT).fill(FILL);
      columns.forEach((column, index) =>
        this.text(column.title, lefts[index]! + CELL_PADDING, this.y + 5, { font: BOLD, size: 7.5, color: MUTED }, widths[index]! - 2 * CELL_PADDING, column.align),
      );
      this.y += ROW_HEIGHT;
    };
    // The title, the header and a first row stay together.
    this.room(18 + ROW_HEIGHT * 2);
    this.sectionTitle(title, note);
    header();
    for (const row of rows) {
      this.room(ROW_HEIGHT, () => {
        this.sectionTitle(`${title} (continued)`, note);
        header();
      });
      if (row.shaded) this.doc.rect(MARGIN, this.y, CONTENT_WIDTH, ROW_HEIGHT).fill(FILL);
      columns.forEach((column, index) => {
        const cell = row.cells[index];
        if (cell === null || cell === undefined || cell === '') return;
        let width = widths[index]!;
        for (let next = index + 1; row.cells[next] === null; next += 1) width += widths[next]!;
        const style = { font: row.bold ? BOLD : REGULAR, size: TABLE_SIZE, color: row.colors?.[index] ?? INK };
        this.text(cell, lefts[index]! + CELL_PADDING, this.y + 5, style, width - 2 * CELL_PADDING, column.align, column.shrink ?? column.align === 'right');
      });
      this.y += ROW_HEIGHT;
      this.doc.moveTo(MARGIN, this.y).lineTo(RIGHT, this.y).lineWidth(0.5).strokeColor(RULE).stroke();
    }
    this.y += 20;
  }

  activity(): void {
    const { statement } = this;
    const columns: Column[] = [
      { title: 'Date', width: 64, shrink: true },
      { title: 'Type', width: 52 },
      { title: 'Reference', width: 58 },
      { title: 'Description', width: 0 },
      { title: 'Due', width: 62, shrink: true },
      { title: 'Charges', width: 62, align: 'right' },
      { title: 'Credits', width: 60, align: 'right' },
      { title: 'Balance', width: 70, align: 'right' },
    ];
    const rows: Row[] = [
      { cells: [this.day(statement.period.from), 'Opening balance', null, null, '', '', '', amount(statement.openingBalanceCents)], shaded: true },
      ...statement.lines.map((line): Row => {
        const effect = balanceEffect(line.kind, line.amountCents);
        return {
          cells: [
            this.day(line.effectiveOn),
            kindName(line),
            line.reference ?? '',
            line.memo,
            line.dueOn === null ? '' : this.day(line.dueOn),
            effect > 0 ? amount(effect) : '',
            effect < 0 ? amount(negateCents(effect)) : '',
            amount(line.balanceAfterCents),
          ],
        };
      }),
      { cells: [this.day(statement.period.to), 'Closing balance', null, null, '', '', '', amount(statement.closingBalanceCents)], bold: true, shaded: true },
    ];
    const title = statement.lines.length === 0 ? 'Account activity (no entries in this period)' : 'Account activity';
    this.table(title, `Amounts in ${CURRENCY} · balance after each entry, by date`, columns, rows);
  }

  /** The buckets side by side in a box; overdue amounts in the one alarm colour. */
  agingBox(aging: AgingFigures): void {
    const cells: [string, Cents, boolean][] = [
      ...AGING_BUCKETS.map(({ key, label }): [string, Cents, boolean] => [label, aging[key], key !== 'currentCents']),
      ['Credit', aging.creditCents, false],
      ['Total', aging.totalCents, false],
    ];
    const height = 46;
    this.room(18 + height + 20);
    this.sectionTitle(`Aging as of ${this.day(this.statement.period.to)}`, `Amounts in ${CURRENCY} · days past the due date`);
    const width = CONTENT_WIDTH / cells.length;
    const top = this.y;
    // The total's cell shaded inside the box's border.
    this.doc.rect(RIGHT - width, top + 0.5, width - 0.5, height - 1).fill(FILL);
    this.doc.roundedRect(MARGIN, top, CONTENT_WIDTH, height, 4).lineWidth(0.8).strokeColor(RULE).stroke();
    cells.forEach(([label, cents, overdue], index) => {
      const x = MARGIN + index * width;
      if (index > 0) this.doc.moveTo(x, top + 8).lineTo(x, top + height - 8).lineWidth(0.5).strokeColor(RULE).stroke();
      const total = index === cells.length - 1;
      this.text(label, x + 8, top + 10, { font: total ? BOLD : REGULAR, size: 7.5, color: MUTED }, width - 16, 'right');
      const color = overdue && cents > 0 ? OVERDUE : INK;
      this.text(amount(cents), x + 8, top + 26, { font: BOLD, size: 10, color }, width - 16, 'right', true);
    });
    this.y = top + height + 24;
  }

  openInvoices(): void {
    const { statement } = this;
    const invoices = statement.openInvoices;
    const title = `Open invoices as of ${this.day(statement.period.to)}`;
    if (invoices.length === 0) {
      this.room(40);
      this.sectionTitle(title);
      this.text('No open invoices: nothing was unpaid on this date.', MARGIN, this.y, { size: 9, color: MUTED });
      this.y += 20;
      return;
    }
    const columns: Column[] = [
      { title: 'Invoice', width: 0 },
      { title: 'Date', width: 72, shrink: true },
      { title: 'Due', width: 72, shrink: true },
      { title: 'Days late', width: 60, align: 'right' },
      { title: 'Amount', width: 82, align: 'right' },
      { title: 'Open', width: 82, align: 'right' },
    ];
    let open = ZERO_CENTS;
    const rows: Row[] = invoices.map((invoice): Row => {
      open = addCents(open, invoice.openCents);
      const late = invoice.daysLate > 0;
      return {
        cells: [invoice.reference ?? `Entry ${invoice.chargeId}`, this.day(invoice.effectiveOn), this.day(invoice.dueOn), late ? String(invoice.daysLate) : 'not yet due', amount(invoice.amountCents), amount(invoice.openCents)],
        colors: late ? [undefined, undefined, undefined, OVERDUE, undefined, OVERDUE] : [],
      };
    });
    rows.push({ cells: ['Total open', '', '', '', '', amount(open)], bold: true, shaded: true });
    this.table(title, `Amounts in ${CURRENCY}`, columns, rows);
  }

  /** On every page: who and which statement, and "Page i of n". */
  footers(): void {
    const { doc, statement, company } = this;
    const { start, count } = doc.bufferedPageRange();
    for (let index = start; index < start + count; index += 1) {
      doc.switchToPage(index);
      this.rule(FOOTER_Y - 8);
      this.text(`${company.name} · Statement for ${statement.account.acctid} · ${this.period()}`, MARGIN, FOOTER_Y, { size: 7.5, color: MUTED }, CONTENT_WIDTH - 80);
      this.text(`Page ${index - start + 1} of ${count}`, RIGHT - 80, FOOTER_Y, { size: 7.5, color: MUTED }, 80, 'right');
    }
  }
}

/**
 * A statement as a PDF document (a readable stream of its bytes): the
 * company, the customer, the period's summary, every entry with its running
 * balance, the aging as of the last day and the open invoices. Money as the
 * staff pages write it (`1,234.56`, the currency named once per table).
 */
export function statementPdf(statement: Statement, company: Company): PDFKit.PDFDocument {
  const layout = new StatementLayout(statement, company);
  layout.header();
  layout.customerAndSummary();
  layout.activity();
  layout.agingBox(statement.aging);
  layout.openInvoices();
  layout.footers();
  layout.doc.end();
  return layout.doc;
}

/** The PDF's bytes. */
export async function statementPdfBytes(statement: Statement, company: Company): Promise<Buffer> {
  const doc = statementPdf(statement, company);
  const chunks: Buffer[] = [];
  for await (const chunk of doc) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The file name a statement is saved under: statement-ACCT100-2026-11-30.pdf. */
export function statementFileName(acctid: string, to: string): string {
  return `statement-${acctid}-${to}.pdf`;
}
