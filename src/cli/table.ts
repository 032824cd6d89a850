import Table from 'cli-table3';

/** Colours only on a TTY and when NO_COLOR is unset (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

/** A cli-table3 table with fte's style: cyan headers and grey borders on a colour TTY, plain otherwise. */
export function makeTable(head: string[], opts: { colAligns?: Array<'left' | 'right' | 'center'> } = {}): Table.Table {
  const color = useColor();
  return new Table({
    head,
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true },
    ...(opts.colAligns ? { colAligns: opts.colAligns } : {}),
  });
}
