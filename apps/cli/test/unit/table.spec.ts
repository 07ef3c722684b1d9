// Tables line up for any cell widths; numbers align right.
import { renderTable } from '../../src/output/table';
import { formatBytes, formatPercent } from '../../src/output/units';

describe('renderTable', () => {
  it('pads every column to its widest cell and right-aligns numeric columns', () => {
    const text = renderTable(
      [
        { name: 'node-0', keys: 5 },
        { name: 'a-much-longer-node', keys: 12345 },
      ],
      [
        { header: 'NODE', value: (r) => r.name },
        { header: 'KEYS', value: (r) => String(r.keys), right: true },
      ],
    );
    expect(text.split('\n')).toEqual([
      'NODE                 KEYS',
      'node-0                  5',
      'a-much-longer-node  12345',
    ]);
  });

  it('prints only the header for no rows', () => {
    expect(renderTable([], [{ header: 'NODE', value: () => '' }])).toBe('NODE');
  });
});

describe('units', () => {
  it('formats bytes in binary units and fractions as percentages', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(83_633_737_728)).toBe('77.9 GiB');
    expect(formatBytes(-1)).toBe('?');
    expect(formatPercent(1 / 3)).toBe('33.3%');
  });
});
