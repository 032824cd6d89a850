import Table from 'cli-table3';
import { termSafe } from './terminal.js';

/** Colours only on a TTY and when NO_COLOR is unset (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

/** A cell with its control characters escaped (`termSafe`); numbers and other values pass unchanged. */
function safeCell(cell: Table.Cell): Table.Cell {
  if (typeof cell === 'string') return termSafe(cell);
  if (cell && typeof cell === 'object' && 'content' in cell && typeof cell.content === 'string') return { ...cell, content: termSafe(cell.content) };
  return cell;
}

type Row = Table.HorizontalTableRow | Table.VerticalTableRow | Table.CrossTableRow;

/** A row of any cli-table3 layout (array, `{key: value}`, `{key: [values]}`) with its text escaped. */
function safeRow(row: Row): Row {
  if (Array.isArray(row)) return row.map(safeCell);
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [termSafe(k), Array.isArray(v) ? v.map(safeCell) : safeCell(v as Table.Cell)])) as Row;
}

/**
 * A cli-table3 table with fte's style: cyan headers and grey borders on a colour TTY (unless
 * `color: false`), plain otherwise. Head and every pushed cell are passed through `termSafe`, so user
 * or model text in a cell cannot reach the terminal as raw control characters.
 */
export function makeTable(head: string[], opts: { colAligns?: Array<'left' | 'right' | 'center'>; color?: boolean } = {}): Table.Table {
  const color = (opts.color ?? true) && useColor();
  const table = new Table({
    head: head.map((h) => termSafe(h)),
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true },
    ...(opts.colAligns ? { colAligns: opts.colAligns } : {}),
  });
  const push = table.push.bind(table);
  table.push = (...rows) => push(...rows.map(safeRow));
  return table;
}
