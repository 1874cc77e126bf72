// A wharf function: turns the supplier's rows into products (price in cents), and sets aside
// the rows that cannot be products, with the reason.
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const { rows } = JSON.parse(input);
  const products = [];
  const rejected = [];
  for (const row of rows) {
    const price = Number(row.price);
    if (row.price === '' || !Number.isFinite(price) || price <= 0) {
      rejected.push({ line: row.line, sku: row.sku, reason: `price must be a positive number, got '${row.price}'` });
      continue;
    }
    products.push({ sku: row.sku, name: row.name, priceCents: Math.round(price * 100), currency: row.currency });
  }
  console.error(`transform: ${products.length} products, ${rejected.length} rejected`);
  process.stdout.write(JSON.stringify({ products, rejected }));
});
