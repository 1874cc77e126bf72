// A wharf function: reads the event on stdin, writes the result on stdout.
// Parses a small CSV (no quoted fields) into rows; numeric-looking prices become numbers.
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const event = JSON.parse(input);
  const lines = event.csv.split('\n').filter((l) => l.trim() !== '');
  const columns = lines.shift().split(',');
  const rows = lines.map((line) => {
    const cells = line.split(',');
    const row = {};
    columns.forEach((c, i) => {
      const v = cells[i];
      row[c] = c === 'price' && v !== '' && !isNaN(Number(v)) ? Number(v) : v;
    });
    return row;
  });
  console.error(`preprocess: ${rows.length} rows from ${event.file}`);
  process.stdout.write(JSON.stringify({ columns, rows }));
});
