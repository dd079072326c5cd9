// CSV as spreadsheets read and write it (RFC 4180): comma-separated, CRLF line ends, a field
// quoted when it holds a comma, a quote or a line break, quotes doubled inside. Files CoachDesk
// writes start with a UTF-8 byte order mark, so Excel opens accents and symbols as UTF-8.

/** The byte order mark Excel needs to read a CSV file as UTF-8. */
export const BOM = '\uFEFF';

/**
 * A cell a spreadsheet would run as a formula (=, +, -, @, or a tab or carriage return first) gets
 * a leading apostrophe, as OWASP recommends against CSV injection. The importer takes it off
 * again, so an export imports back unchanged.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function guardCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Undoes `guardCell`: an apostrophe before a formula character is taken off. */
export function unguardCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

export type CsvValue = string | number | null | undefined;

/** One field, quoted when it must be. Numbers are written as they are (never guarded: they are ours). */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? String(value) : guardCell(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole file: BOM, the header row, then the rows, each line ended by CRLF. */
export function toCsv(header: readonly string[], rows: readonly CsvValue[][]): string {
  return BOM + [header, ...rows].map((row) => row.map(csvField).join(',') + '\r\n').join('');
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(`row ${row}: ${message}`);
  }
}

/**
 * Reads CSV text into rows of fields (RFC 4180; LF alone also ends a line, a BOM is skipped).
 * A blank line is an empty row. Throws CsvSyntaxError (with the row) on an unclosed quote or
 * text after a closing quote.
 */
export function parseCsv(input: string): string[][] {
  const text = input.startsWith(BOM) ? input.slice(1) : input;
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quotedAt = 0;
  const endField = () => {
    row.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' && field === '') {
      // A quoted field: up to the next lone quote.
      quotedAt = rows.length + 1;
      i++;
      for (;;) {
        if (i >= text.length) throw new CsvSyntaxError(quotedAt, 'a quoted field is never closed (a " is missing)');
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += q;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n') throw new CsvSyntaxError(rows.length + 1, 'text after a closing quote (a quote inside a field must be doubled: "")');
      // An empty quoted field must still count as a field, not as "nothing read yet".
      if (field === '') field = '\0empty';
      continue;
    }
    if (c === ',') {
      endField();
      i++;
    } else if (c === '\r' || c === '\n') {
      endRow();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) endRow();
  return rows.map((r) => r.map((f) => (f === '\0empty' ? '' : f)));
}
