// A wharf function: reads the uploaded CSV from the landing store and parses it into rows.
// Its input is what the rule's InputTransformer made of the upload event: {path, size}, where
// path is "/BUCKET/KEY". `wharf cat KEY` prints the file (wharf is on PATH: `make demo` puts it
// there before `wharf serve`; functions inherit PATH).
const { execFileSync } = require('child_process');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const event = JSON.parse(input);
  const key = event.path.split('/').slice(2).join('/');
  const csv = execFileSync('wharf', ['cat', key], { encoding: 'utf8' });
  if (Buffer.byteLength(csv) !== event.size) {
    console.log(JSON.stringify({ errorType: 'Upload.SizeMismatch',
      errorMessage: `${key}: ${Buffer.byteLength(csv)} bytes, the event said ${event.size}` }));
    process.exit(1);
  }
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const columns = lines.shift().split(',');
  const rows = lines.map((line, i) => {
    const cells = line.split(',');
    const row = { line: i + 2 };
    columns.forEach((c, j) => (row[c] = (cells[j] || '').trim()));
    return row;
  });
  console.error(`preprocess: ${rows.length} rows from ${key}`);
  process.stdout.write(JSON.stringify({ file: key, columns, rows }));
});
