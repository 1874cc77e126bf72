// A wharf function that fails on its first attempt, as a busy supplier system would: the
// state's Retry catches "Supplier.Busy". WHARF_ATTEMPT_ID ends in the retry count.
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const event = JSON.parse(input);
  const attempt = Number((process.env.WHARF_ATTEMPT_ID || '/0').split('/').pop());
  if (attempt === 0) {
    console.log(JSON.stringify({ errorType: 'Supplier.Busy', errorMessage: 'try again shortly' }));
    process.exit(1);
  }
  console.error(`register: ${event.products.length} products from ${event.file}`);
  process.stdout.write(JSON.stringify({ registered: event.products.map((p) => p.sku) }));
});
